"""Suite-wide fixtures: real PostgreSQL and Redis (see obcms_platform.testing.fixtures)."""

import gc

import pytest

from obcms_platform.heap import freeze_startup_heap

pytest_plugins = ["obcms_platform.testing.fixtures"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow` (whole stacks for minutes) run first: with `--dist loadfile
    --no-loadscope-reorder` (`make test`) the workers take files in this order, so the long
    ones overlap the many short ones instead of running alone at the end.

    Every item gets an id of its own. Schemathesis names one test per API operation
    (``test_tasks_api[GET /api/v1/tasks]``), but pytest 9.2 builds an item's node id from its
    function's name and its parametrization, which schemathesis does not use: every
    operation's test had the function's id, and xdist, which schedules by id, ran one
    operation per schema under `make test`. Such an item gets its operation as its params."""
    for item in items:
        operation = item.name.partition("[")[2].removesuffix("]")
        if operation and "[" not in item.nodeid:
            item._id = item._id.with_params(operation)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Every test module is imported: what the session holds so far (modules, schemas, the
    collected tests) is frozen out of the garbage collector's walks. An app started in a
    test then leaves the heap as it is (`obcms_platform.app.frozen_startup_heap`)."""
    freeze_startup_heap()


def pytest_unconfigure(config: pytest.Config) -> None:
    """The run is over: what it allocated stays out of the interpreter's collections at exit
    (a worker that ran a thousand tests spent seconds in them)."""
    gc.freeze()
