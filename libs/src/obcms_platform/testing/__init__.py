"""Test support shared by every service's suite: real PostgreSQL and Redis, tokens,
assertions and one time scale for deadlines."""

from obcms_platform.testing.assertions import assert_error, wrongly_refused
from obcms_platform.testing.auth import Caller, auth_headers, make_caller
from obcms_platform.testing.databases import (
    PostgresServer,
    ServiceDatabases,
    fresh_platform_databases,
)
from obcms_platform.testing.metrics import metric_value
from obcms_platform.testing.polling import wait_for_count, wait_until
from obcms_platform.testing.timing import deadline

__all__ = [
    "Caller",
    "PostgresServer",
    "ServiceDatabases",
    "assert_error",
    "auth_headers",
    "deadline",
    "fresh_platform_databases",
    "make_caller",
    "metric_value",
    "wait_for_count",
    "wait_until",
    "wrongly_refused",
]
