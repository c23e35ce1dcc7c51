"""Topic matching of routing keys (AMQP ``*`` and ``#``) and the consumers' subscriptions."""

from __future__ import annotations

import pytest

from obcms_platform.bus.topology import subscribes, topic_matches


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("task.*", "task.created", True),
        ("task.*", "task", False),
        ("task.*", "task.created.late", False),
        ("task.*", "ppa.created", False),
        ("*.created", "ppa.created", True),
        ("#", "ppa.created", True),
        ("#", "anything", True),
        ("task.#", "task", True),
        ("task.#", "task.a.b", True),
        ("#.created", "ppa.created", True),
        ("#.created", "ppa.deleted", False),
        ("ppa.created", "ppa.created", True),
        ("ppa.created", "ppa.created_x", False),
        ("ppa.created", "ppa.deleted", False),
    ],
)
def test_topic_matching(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches(pattern, key) is expected


def test_subscriptions_use_topic_matching() -> None:
    assert subscribes("portfolio", "task.completed")
    assert not subscribes("portfolio", "ppa.created")
    assert subscribes("tasks", "ppa.created")
    assert subscribes("tasks", "ppa.updated")  # the PPA owners the task rules read
    assert not subscribes("tasks", "milestone.created")
    assert subscribes("gateway", "booking.cancelled")
