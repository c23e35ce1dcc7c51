"""Test support shared by every service's suite: real PostgreSQL and Redis, tokens."""

from obcms_platform.testing.auth import Caller, auth_headers, make_caller
from obcms_platform.testing.databases import (
    PostgresServer,
    ServiceDatabases,
    fresh_platform_databases,
)
from obcms_platform.testing.polling import wait_until

__all__ = [
    "Caller",
    "PostgresServer",
    "ServiceDatabases",
    "auth_headers",
    "fresh_platform_databases",
    "make_caller",
    "wait_until",
]
