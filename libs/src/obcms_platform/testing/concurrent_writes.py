"""What every service's records promise under concurrent writes, checked the same way."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import httpx

from obcms_platform.testing.service_probes import run_concurrently

Change = dict[str, Any]


def assert_concurrent_changes_all_apply(
    change: Callable[[Change], httpx.Response],
    read: Callable[[], dict[str, Any]],
    changes: list[Change],
) -> None:
    """Changes of one record at version 1, sent at the same moment without If-Match, all
    succeed and all stay: each bumps the version once, none is lost."""
    responses: list[httpx.Response] = run_concurrently(
        [functools.partial(change, body) for body in changes]
    )
    assert [r.status_code for r in responses] == [200] * len(changes), [r.text for r in responses]
    stored = read()
    for body in changes:
        for name, value in body.items():
            assert stored[name] == value, name
    assert stored["version"] == 1 + len(changes)


def one_concurrent_change_wins(
    change: Callable[[Change], httpx.Response], changes: list[Change]
) -> tuple[httpx.Response, list[httpx.Response]]:
    """Changes of one record, each with the If-Match of the same version, sent at the same
    moment: exactly one succeeds. That one, and the refused others (in sending order)."""
    responses: list[httpx.Response] = run_concurrently(
        [functools.partial(change, body) for body in changes]
    )
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1, [r.text for r in responses]
    return winners[0], [r for r in responses if r.status_code != 200]
