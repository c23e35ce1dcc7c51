"""Per-test databases cloned from a migrated template database.

The schema of each service comes from running its Alembic migrations once per test session
into ``<name>_template``; every test then gets a fresh ``CREATE DATABASE ... TEMPLATE`` copy,
so tests are isolated and may commit, run concurrent transactions and kill connections.

Names are unique per process, whichever suite or fixture asks: several `ServiceDatabases`
for one package (a service's own tests, the gateway's backends, cross-service tests) share
one counter and one migrated template, so a fresh copy never replaces one still in use.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field

import psycopg
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from obcms_platform import migrations
from obcms_platform.devstack.stack import with_databases


@dataclass
class PostgresServer:
    """A server we may create databases on (embedded, or OBCMS_TEST_DATABASE_URL)."""

    admin_url: str  # SQLAlchemy URL of a maintenance database on the server

    def url(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def dsn(self, database: str | None = None) -> str:
        url = make_url(self.admin_url).set(drivername="postgresql")
        if database:
            url = url.set(database=database)
        return url.render_as_string(hide_password=False)

    def execute(self, statement: sql.Composed) -> None:
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(statement)

    def drop_database(self, name: str) -> None:
        self.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    def drop_database_at(self, url: str) -> None:
        """Drops the database of `url` (a test's copy, once the test is over), whoever is
        still connected to it."""
        name = make_url(url).database
        if name:
            self.drop_database(name)

    def clone(self, template: str, name: str) -> None:
        self.drop_database(name)
        self.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )


# Per process: database name counter, and the templates already migrated (by server URL
# and package).
_database_numbers = itertools.count()
_migrated_templates: set[tuple[str, str]] = set()


@dataclass
class ServiceDatabases:
    """Migrated template plus fresh per-test copies for one service package."""

    server: PostgresServer
    package: str
    prefix: str = field(default_factory=lambda: f"t{os.getpid()}")

    @property
    def template_name(self) -> str:
        return f"{self.prefix}_{self.package}_template"

    def empty(self, suffix: str) -> str:
        """A new empty database (for migration tests); returns its URL."""
        name = f"{self.prefix}_{self.package}_{suffix}"
        self.server.drop_database(name)
        self.server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.server.url(name)

    def migrated_template(self) -> str:
        key = (self.server.admin_url, self.template_name)
        if key not in _migrated_templates:
            url = self.empty("template")
            migrations.upgrade(self.package, url)
            _migrated_templates.add(key)
        return self.template_name

    def fresh(self) -> str:
        """A new database with the full schema and seed data; returns its URL."""
        name = f"{self.prefix}_{self.package}_{next(_database_numbers)}"
        self.server.clone(self.migrated_template(), name)
        return self.server.url(name)


def fresh_platform_databases(server: PostgresServer) -> dict[str, str]:
    """A fresh migrated database for each service and the gateway: name -> SQLAlchemy URL."""
    return {spec.name: ServiceDatabases(server, spec.package).fresh() for spec in with_databases()}


# A CHECK of an enum column as PostgreSQL prints it: `... ARRAY['a'::character varying, ...]`.
_CHECKED_LITERAL = re.compile(r"'((?:[^']|'')*)'::")


def checked_values(session: Session, table: str, column: str) -> set[str]:
    """The values the migrated CHECK constraint of the enum column `table.column` allows:
    what the database stores, to compare with the enum the API accepts."""
    definitions = session.scalars(
        text(
            "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
            " WHERE c.contype = 'c' AND c.conrelid = CAST(:table AS regclass)"
            " AND a.attname = :column AND cardinality(c.conkey) = 1"
        ),
        {"table": table, "column": column},
    ).all()
    listed = [_CHECKED_LITERAL.findall(definition) for definition in definitions]
    [values] = [found for found in listed if found]  # one single-column CHECK lists them
    return {value.replace("''", "'") for value in values}
