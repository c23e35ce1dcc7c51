"""axe-core accessibility checks for the browser tests.

axe-core comes from npm through the repository's root ``package.json`` (``make install``
runs ``npm ci``). It is injected through the DevTools protocol, which the page's
Content-Security-Policy does not govern, so the page is checked as it is served.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page

AXE_SCRIPT = Path(__file__).resolve().parents[4] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS_IMPACTS = frozenset({"critical", "serious"})


def _axe_source() -> str:
    return _read_axe(AXE_SCRIPT)


@functools.cache
def _read_axe(path: Path) -> str:
    if not path.is_file():
        raise RuntimeError(
            f"axe-core is needed at {path}: run `make install` (npm ci) in the repository"
        )
    return path.read_text(encoding="utf-8")


def preload(context: BrowserContext) -> None:
    """axe-core in every page `context` opens from now on, so that a check of many pages
    does not send its half a megabyte of script to each one."""
    context.add_init_script(script=_axe_source())


def violations(page: Page) -> list[dict[str, Any]]:
    """Every axe-core violation on `page` as it is now (WCAG A and AA rules and axe's best
    practices: axe's defaults)."""
    source = _axe_source()
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await window.axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return found


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """The axe-core violations of impact critical or serious on `page`."""
    return [found for found in violations(page) if found.get("impact") in SERIOUS_IMPACTS]


def summary(found: list[dict[str, Any]]) -> str:
    """The violations as lines a failing assertion can show: rule, impact, help, elements."""
    lines = []
    for violation in found:
        targets = [", ".join(node["target"]) for node in violation.get("nodes", [])[:5]]
        lines.append(
            f"{violation['id']} ({violation.get('impact')}): {violation.get('help')} "
            f"[{len(violation.get('nodes', []))} elements: {'; '.join(targets)}]"
        )
    return "\n".join(lines)
