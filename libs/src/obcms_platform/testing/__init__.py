"""Test support shared by every service's suite: real PostgreSQL and Redis, tokens."""

from obcms_platform.testing.auth import auth_headers
from obcms_platform.testing.databases import PostgresServer, ServiceDatabases

__all__ = ["PostgresServer", "ServiceDatabases", "auth_headers"]
