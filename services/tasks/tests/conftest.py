"""Tasks service fixtures: a fresh migrated database per test, an app client, callers."""

from obcms_platform import registry
from obcms_platform.testing.service_fixtures import service_fixtures

globals().update(service_fixtures(registry.TASKS))
