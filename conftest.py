"""Suite-wide fixtures: real PostgreSQL and Redis (see obcms_platform.testing.fixtures)."""

pytest_plugins = ["obcms_platform.testing.fixtures"]
