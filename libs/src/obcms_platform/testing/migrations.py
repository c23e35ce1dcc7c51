"""The checks every Alembic history gets: up, down to base and up again on a database that
holds data, and no drift between the models and the migrated schema."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, create_engine, func, inspect, select, text
from sqlalchemy.pool import NullPool

from obcms_platform import migrations
from obcms_platform.db import Database, normalise_url
from obcms_platform.testing.databases import ServiceDatabases

EmptyDatabase = Callable[[str], tuple[str, Database]]

# What `bus.migration_ops.create_bus_tables` creates in every service's database.
BUS_TABLES = frozenset({"bus_outbox", "bus_inbox", "bus_dead_letters"})


def empty_databases(service_databases: ServiceDatabases) -> Iterator[EmptyDatabase]:
    """Body of a fixture: a factory of empty databases (URL and ORM `Database`, named by a
    suffix), disposed after the test."""
    opened: list[Database] = []

    def make(suffix: str) -> tuple[str, Database]:
        url = service_databases.empty(suffix)
        database = Database(url, pool_size=1)
        opened.append(database)
        return url, database

    yield make
    for database in opened:
        database.dispose()


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def row_count(database: Database, model: Any) -> int:
    """How many rows the table of `model` (an ORM class) holds."""
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def assert_round_trip(
    package: str,
    url: str,
    engine: Engine,
    service_tables: set[str],
    with_data: Callable[[], None],
) -> None:
    """On the empty database at `url`: upgrade to head, run `with_data` (it stores and checks
    rows), downgrade to base (nothing but alembic_version left), upgrade again.

    `engine` is the test's own connection to the database: it is disposed after the
    downgrade, so that it does not reuse what it knew of the dropped tables."""
    assert table_names(engine) == set()
    migrations.upgrade(package, url)
    assert migrations.current_revision(package, url) == migrations.head_revision(package)
    assert table_names(engine) >= service_tables
    with_data()

    migrations.downgrade(package, url, "base")
    engine.dispose()
    assert migrations.current_revision(package, url) is None
    assert table_names(engine) <= {"alembic_version"}

    migrations.upgrade(package, url)
    assert migrations.current_revision(package, url) == migrations.head_revision(package)
    assert table_names(engine) >= service_tables


def schema_differences(url: str, metadata: MetaData) -> list[Any]:
    """What Alembic's autogenerate finds between `metadata` (the models, loaded) and the
    schema at `url`: types and server defaults included; an index it cannot compare fails."""
    engine = create_engine(normalise_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection, warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # alembic warns on an index it skips
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def difference_kinds_after(url: str, metadata: MetaData, *statements: str) -> set[str]:
    """Run `statements` (SQL that drifts the schema at `url` from the models), then return
    the kinds of `schema_differences` found ("add_index", "modify_type", ...)."""
    engine = create_engine(normalise_url(url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()
    return {
        diff[0] if isinstance(diff, tuple) else diff[0][0]
        for diff in schema_differences(url, metadata)
    }


def assert_models_match(url: str, metadata: MetaData, load_models: Callable[[], None]) -> None:
    """The schema migrated at `url` is what the models (loaded by `load_models`) declare."""
    load_models()
    assert schema_differences(url, metadata) == []


def assert_drift_reported(
    url: str,
    metadata: MetaData,
    load_models: Callable[[], None],
    *,
    dropped_index: str,
    narrowed_column: tuple[str, str],
) -> None:
    """The comparison of `assert_models_match` is meaningful: after dropping `dropped_index`
    and narrowing `narrowed_column` (table, column) to varchar(200), both are reported."""
    load_models()
    table, column = narrowed_column
    drifted = difference_kinds_after(
        url,
        metadata,
        f"DROP INDEX {dropped_index}",
        f"ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar(200)",
    )
    assert drifted == {"add_index", "modify_type"}
