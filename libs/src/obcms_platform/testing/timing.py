"""One time scale for every test deadline: ``OBCMS_TEST_TIME_SCALE`` (default 1).

Deadlines in the suite are written for a quiet machine; on a shared or loaded one (CI, a
laptop building something else) ``OBCMS_TEST_TIME_SCALE=3`` gives every wait, process
start-up and per-test timeout three times as long. A wait still ends as soon as its signal
comes, so a larger scale only costs time when something is really broken.
"""

from __future__ import annotations

import math
import os

import pytest
from pytest_timeout import get_env_settings

TIME_SCALE_VARIABLE = "OBCMS_TEST_TIME_SCALE"
# Seconds a process a test starts (an API, a worker, a relay) may take to become ready: on a
# busy machine several starting at once take a while. Scaled like every deadline.
PROCESS_READY_TIMEOUT = 300.0


def time_scale() -> float:
    """The factor every test deadline is multiplied by (``OBCMS_TEST_TIME_SCALE``)."""
    raw = os.environ.get(TIME_SCALE_VARIABLE, "").strip()
    if not raw:
        return 1.0
    try:
        scale = float(raw)
    except ValueError:
        scale = math.nan
    if not (math.isfinite(scale) and scale > 0):
        raise pytest.UsageError(
            f"{TIME_SCALE_VARIABLE} must be a positive number (e.g. 1, 2.5), not {raw!r}"
        )
    return scale


def deadline(seconds: float) -> float:
    """`seconds` on a quiet machine, scaled for this one."""
    return seconds * time_scale()


def scale_test_timeouts(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give each test pytest-timeout's limit (its ``timeout`` marker, else the configured
    one) times the time scale, as a marker of the test itself, which pytest-timeout reads
    first."""
    scale = time_scale()
    if scale == 1:
        return
    configured = get_env_settings(config).timeout
    for item in items:
        marker = item.get_closest_marker("timeout")
        options = dict(marker.kwargs) if marker else {}
        limit = options.pop("timeout", None)
        if marker and marker.args:
            limit, *rest = marker.args
            if rest:
                options["method"] = rest[0]
        if limit is None:
            limit = configured
        if limit:  # 0 or none: no limit, which no scale changes
            item.add_marker(pytest.mark.timeout(float(limit) * scale, **options), append=False)
