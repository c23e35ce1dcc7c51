"""How the propagation bench reads until a change shows: on a fixed cadence, so the time a
read takes is not added to every sample."""

from __future__ import annotations

import pytest

from obcms_bench import measure


class Clock:
    """`time.perf_counter` and `time.sleep` of `measure`, on a clock that only moves when
    told: each read costs `read_seconds`."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(
    ("read_seconds", "starts"),
    [
        # A read of 10 ms: reads start 20 ms apart (sleeping 20 ms after each: 30 apart).
        (0.010, [0.0, 0.02, 0.04, 0.06]),
        # A read longer than the cadence is followed at once, never overlapped.
        (0.025, [0.0, 0.025, 0.05, 0.075]),
    ],
)
def test_reads_start_every_poll_interval_and_the_change_is_timed_at_the_read_that_shows_it(
    monkeypatch: pytest.MonkeyPatch, read_seconds: float, starts: list[float]
) -> None:
    clock = Clock()
    monkeypatch.setattr(measure, "time", clock)
    started = clock.now
    read_at: list[float] = []

    def check() -> bool:
        read_at.append(round(clock.now - started, 6))
        clock.now += read_seconds
        return len(read_at) == 4

    waited = measure._wait(check)

    assert read_at == starts
    assert waited == pytest.approx(starts[-1] + read_seconds)
    assert all(seconds >= 0 for seconds in clock.slept)


def test_a_change_that_never_shows_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(measure, "time", clock)

    def check() -> bool:
        clock.now += 0.01
        return False

    with pytest.raises(TimeoutError):
        measure._wait(check, timeout=1)
