"""The axe-core helper of the browser tests says what to do when axe-core is not installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from obcms_platform.testing import axe


def test_missing_axe_core_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(axe, "AXE_SCRIPT", tmp_path / "node_modules" / "axe-core" / "axe.min.js")
    with pytest.raises(RuntimeError, match=r"run `make install` \(npm ci\)"):
        axe.serious_violations(cast(Any, None))


def test_the_repository_pins_axe_core_where_the_helper_looks():
    assert axe.AXE_SCRIPT.is_file(), "run `make install`"
    assert axe.AXE_SCRIPT.parents[2] == Path(__file__).resolve().parents[2]
