"""Printing results: a plain table for people, JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, astuple
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def report_outcomes(
    kind: str, outcomes: Sequence[DataclassInstance], json_output: bool, summary: str = ""
) -> None:
    """Outcomes (dataclasses of what, ok, detail) as a table, or as JSON ``{"ok", "<kind>s"}``;
    exit 1 when any failed."""
    rows = [astuple(outcome) for outcome in outcomes]
    failed = [row for row in rows if not row[1]]
    if json_output:
        emit_json({"ok": not failed, f"{kind}s": [asdict(outcome) for outcome in outcomes]})
    else:
        typer.echo(
            table(
                [kind, "result", "detail"],
                [(what, "ok" if ok else "FAILED", detail) for what, ok, detail in rows],
            )
        )
        if summary:
            typer.echo(summary)
    if failed:
        raise typer.Exit(1)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `message` on stderr; returns the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)
