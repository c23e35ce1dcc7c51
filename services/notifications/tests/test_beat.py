"""Two beat processes, as after a botched rollout: one runs the jobs; killing it hands the
lock over to the other within a tick or two, and nobody is reminded twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications_service.jobs.models import JobRun
from notifications_service.kinds import Kind
from notifications_service.settings import NotificationsSettings
from obcms_platform.testing.timing import deadline

from .people import Person, assign_task, handle, inbox


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    end = time.monotonic() + deadline(seconds)
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {deadline(seconds):.0f} s: {what}")


@pytest.fixture
def beats(notifications_db_url: str, redis_url: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = {
        **os.environ,
        "OBCMS_NOTIFICATIONS_DATABASE_URL": notifications_db_url,
        "OBCMS_REDIS_URL": redis_url,
        "OBCMS_NOTIFICATIONS_BEAT_TICK_SECONDS": "1",
        "OBCMS_MODE": "test",
    }
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "notifications_service.cli", "beat"],
            env=env,
        )
        for _ in range(2)
    ]
    yield started
    for process in started:
        process.kill()
        process.wait(timeout=30)


def _runners(session: Session) -> dict[str, set[int]]:
    """Job runs by runner: pid -> job periods' count, read afresh."""
    session.expire_all()
    found: dict[str, set[int]] = {}
    for run in session.scalars(select(JobRun).where(JobRun.job == "task_reminders")):
        pid = int(run.runner.rsplit(":", 1)[1])
        found.setdefault(str(pid), set()).add(
            int(dt.datetime.fromisoformat(run.period).timestamp())
        )
    return found


def test_one_beat_acts_and_a_killed_holder_hands_over_without_a_double_send(
    session: Session, settings: NotificationsSettings, beats: list[subprocess.Popen[bytes]]
) -> None:
    amina = Person()
    handle(session, settings, amina.announced())
    due = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    # Her own task: no assignment message, which would make the reminder needless.
    assign_task(
        session,
        settings,
        [amina.user_id],
        "File the report",
        due=due + dt.timedelta(days=2),
        by=amina.user_id,
    )
    _wait_for(lambda: sum(len(p) for p in _runners(session).values()) >= 3, 60, "three runs")
    [holder] = _runners(session)
    first, second = beats
    assert holder in {str(first.pid), str(second.pid)}
    standby = second if holder == str(first.pid) else first

    os.kill(int(holder), signal.SIGKILL)
    _wait_for(lambda: str(standby.pid) in _runners(session), 60, "the standby beat taking over")
    _wait_for(lambda: len(_runners(session)[str(standby.pid)]) >= 2, 30, "two runs by the standby")

    runs = _runners(session)
    assert set(runs) == {holder, str(standby.pid)}
    # The standby ran only after the holder's last run: never both in one period.
    assert min(runs[str(standby.pid)]) > max(runs[holder])
    reminders = [n for n in inbox(session, amina) if n.kind == Kind.TASK_DUE_SOON]
    assert len(reminders) == 1
