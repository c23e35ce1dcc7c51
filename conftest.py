"""Suite-wide fixtures: real PostgreSQL and Redis (see obcms_platform.testing.fixtures)."""

import pytest

pytest_plugins = ["obcms_platform.testing.fixtures"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow` (whole stacks for minutes) run first: with `--dist loadfile
    --no-loadscope-reorder` (`make test`) the workers take files in this order, so the long
    ones overlap the many short ones instead of running alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
