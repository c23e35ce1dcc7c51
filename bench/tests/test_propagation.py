"""How the propagation bench reads until a change shows: on a fixed cadence, so the time a
read takes is not added to every sample."""

from __future__ import annotations

import httpx
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


class Stack:
    """The API the probe talks to, as an `httpx.MockTransport`: a PPA's ten tasks show on the
    second read after its creation, a completion shows on the second read of its progress.
    Each request takes 10 ms of `clock`."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.reads_until_shown = 0
        self.completed: list[str] = []
        self.sent: list[tuple[float, str, str]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.clock.now += 0.01
        self.sent.append((self.clock.now, request.method, request.url.path))
        if request.method == "POST":
            self.reads_until_shown = 2
            return httpx.Response(201, json={"id": "ppa-1"})
        if request.method == "PATCH":
            self.completed.append(request.url.path.rsplit("/", 1)[1])
            self.reads_until_shown = 2
            return httpx.Response(200, json={})
        if request.method == "DELETE":
            return httpx.Response(204)
        self.reads_until_shown -= 1
        shown = self.reads_until_shown <= 0
        if request.url.path == "/api/v1/tasks":
            tasks = [{"id": f"task-{n}"} for n in range(10)] if shown else []
            return httpx.Response(200, json={"items": tasks})
        done = len(self.completed) if shown else len(self.completed) - 1
        return httpx.Response(200, json={"progress": 10 * done})


def test_a_completion_is_timed_right_behind_the_creation_and_again_on_a_settled_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    monkeypatch.setattr(measure, "time", clock)
    stack = Stack(clock)
    client = httpx.Client(transport=httpx.MockTransport(stack.handle), base_url="http://stack")

    ppa_id, created, behind, settled = measure._probe(client, 2027, 1)

    assert ppa_id == "ppa-1"
    assert stack.completed == ["task-0", "task-1"]  # two tasks, each completed once
    patches = [at for at, method, _ in stack.sent if method == "PATCH"]
    first_shown = max(at for at, method, _ in stack.sent if at < patches[1] and method == "GET")
    # The first completion follows the tasks at once; the second waits for the stack to settle.
    assert patches[1] - first_shown >= measure.SETTLE_SECONDS
    # Each timed from just before its write to the end of the read that showed it: a write of
    # 10 ms, a read at 10 ms that missed, the next at 30 ms (20 ms after the first) till 40.
    assert behind == pytest.approx(0.04)
    assert settled == pytest.approx(0.04)
    assert created > 0
