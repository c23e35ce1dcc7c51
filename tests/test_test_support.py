"""The suite's own support: one time scale for every deadline (``OBCMS_TEST_TIME_SCALE``)
and the one error assertion."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from obcms_platform.testing import (
    assert_error,
    deadline,
    metric_value,
    wait_for_count,
    wait_until,
)
from obcms_platform.testing.timing import TIME_SCALE_VARIABLE, time_scale

# Two tests that each take 2 s, one with its own `timeout` marker of 1 s, one under the
# session's `--timeout 1`.
SLOW_TESTS = """
import time

import pytest


@pytest.mark.timeout(1)
def test_marked():
    time.sleep(2)


def test_configured():
    time.sleep(2)
"""


def run_pytest(folder: Path, scale: str) -> subprocess.CompletedProcess[str]:
    """pytest with the platform's plugin on `folder`, OBCMS_TEST_TIME_SCALE=`scale`.

    Only the two plugins the check needs are loaded (not every installed one, which
    doubles the interpreter's start-up); pytest-timeout first, as the platform's imports it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test_slow.py").write_text(SLOW_TESTS)
    return subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "pytest_timeout"),
            *("-p", "obcms_platform.testing.fixtures", "-p", "no:cacheprovider"),
            *("--timeout", "1", "-q", str(folder)),
        ],
        cwd=folder,
        env={**os.environ, TIME_SCALE_VARIABLE: scale, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        # A new interpreter loads the platform's plugins: slow on a busy machine.
        timeout=deadline(300),
    )


def test_the_time_scale_stretches_every_test_timeout(tmp_path: Path) -> None:
    # Both sessions at once (one core each): an interpreter's start-up, then 4 s of sleep.
    with ThreadPoolExecutor(2) as sessions:
        scaled, quiet = sessions.map(lambda scale: run_pytest(tmp_path / scale, scale), ("5", "1"))
    assert scaled.returncode == 0, scaled.stdout + scaled.stderr
    assert "2 passed" in scaled.stdout

    assert quiet.returncode == 1, quiet.stdout + quiet.stderr
    assert "2 failed" in quiet.stdout
    assert "Timeout" in quiet.stdout


def test_a_malformed_time_scale_stops_the_session_naming_the_variable(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, "fast")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert f"{TIME_SCALE_VARIABLE} must be a positive number" in result.stderr


@pytest.mark.parametrize("value", ["fast", "0", "-2", "nan", "inf"])
def test_only_a_positive_time_scale_is_taken(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(TIME_SCALE_VARIABLE, value)
    with pytest.raises(pytest.UsageError, match=f"{TIME_SCALE_VARIABLE}.*{value!r}"):
        time_scale()
    monkeypatch.setenv(TIME_SCALE_VARIABLE, " 2.5 ")
    assert time_scale() == 2.5
    monkeypatch.delenv(TIME_SCALE_VARIABLE)
    assert time_scale() == 1


def test_waits_last_the_scaled_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A condition that takes 1.5 s is reached under a 1 s deadline scaled by 3, and a wait
    that never succeeds gives up after the scaled deadline, saying so."""
    monkeypatch.setenv(TIME_SCALE_VARIABLE, "3")
    ready_at = time.monotonic() + 1.5
    assert wait_until(lambda: time.monotonic() > ready_at, timeout=1)

    monkeypatch.setenv(TIME_SCALE_VARIABLE, "0.02")
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"not reached within 1 s: never"):
        wait_until(lambda: False, timeout=50, message="never")
    assert time.monotonic() - started < 10


def test_a_count_wait_outlasts_any_fixed_total_while_the_count_moves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A count that moves every 0.2 s reaches its target after 1.2 s under a 0.5 s stall
    limit; a count that stops moving is given up after the stall limit, saying where it
    stuck."""
    monkeypatch.setenv(TIME_SCALE_VARIABLE, "1")
    started = time.monotonic()

    def steady() -> int:
        return int((time.monotonic() - started) / 0.2)

    assert wait_for_count(steady, 6, stall=0.5, interval=0.05) >= 6
    assert time.monotonic() - started >= 1.2

    stopped_at = time.monotonic()
    with pytest.raises(AssertionError, match=r"stuck for 1 s: tasks at 3 of 10"):
        wait_for_count(lambda: 3, 10, stall=1, interval=0.05, message="tasks")
    assert time.monotonic() - stopped_at < 5


def error_response(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body)


def test_assert_error_checks_the_one_error_shape_and_the_field() -> None:
    body = {"error": {"status": 422, "code": "validation_error", "message": "m", "field": "due"}}
    assert assert_error(error_response(422, body), 422, "due") == body["error"]
    assert assert_error(error_response(422, body), 422) == body["error"]  # any field
    with pytest.raises(AssertionError):
        assert_error(error_response(422, body), 422, None)  # None: naming no field
    with pytest.raises(AssertionError):
        assert_error(error_response(422, body), 422, "title")
    with pytest.raises(AssertionError):
        assert_error(error_response(422, body), 400, "due")
    # Not the platform's shape: a bare FastAPI detail, an error without its code.
    with pytest.raises(AssertionError):
        assert_error(error_response(422, {"detail": "bad"}), 422)
    no_code = {"error": {"status": 422, "message": "m", "field": "due"}}
    with pytest.raises(AssertionError):
        assert_error(error_response(422, no_code), 422, "due")


def test_metric_value_reads_one_labelled_sample_of_prometheus_text() -> None:
    exposition = (
        "# HELP obcms_bus_events_consumed_total Events consumed.\n"
        "# TYPE obcms_bus_events_consumed_total counter\n"
        'obcms_bus_events_consumed_total{consumer="tasks",outcome="handled"} 3.0\n'
        'obcms_bus_events_consumed_total{consumer="tasks",outcome="duplicate"} 1.0\n'
    )
    name = "obcms_bus_events_consumed_total"
    assert metric_value(exposition, name, consumer="tasks", outcome="duplicate") == 1
    assert metric_value(exposition, name, outcome="handled") == 3  # a subset of the labels
    assert metric_value(exposition, name, consumer="portfolio") == 0  # not counted yet
    assert metric_value("", name) == 0  # the process is not serving
