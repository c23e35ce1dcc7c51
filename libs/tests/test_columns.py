"""The shared record columns: a table built from the mixins has the columns, defaults and
optimistic locking each service's tables declared by hand before."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from obcms_platform.columns import Authored, Identified, Versioned
from obcms_platform.db import Timestamped, normalise_url, service_metadata
from obcms_platform.testing import PostgresServer


class Base(DeclarativeBase):
    metadata = service_metadata()


class Report(Identified, Authored, Versioned, Timestamped, Base):
    __tablename__ = "columns_test_report"

    title: Mapped[str] = mapped_column(String(200))


class Sheet(Identified, Versioned, Base):
    __tablename__ = "columns_test_sheet"
    version_server_default = True


def test_the_mixins_declare_the_shared_columns_with_id_first() -> None:
    columns = Report.__table__.c
    assert [column.name for column in columns] == [
        "id",
        "title",
        "created_by",
        "updated_by",
        "version",
        "created_at",
        "updated_at",
    ]
    assert [column.name for column in Report.__table__.primary_key] == ["id"]
    assert columns.created_by.nullable
    assert columns.updated_by.nullable
    assert not columns.version.nullable
    assert columns.version.server_default is None
    assert Sheet.__table__.c.version.server_default is not None
    assert Report.__mapper__.version_id_col is columns.version
    assert Sheet.__mapper__.version_id_col is Sheet.__table__.c.version


def test_a_stale_copy_cannot_overwrite_a_newer_version(postgres_server: PostgresServer) -> None:
    engine = create_engine(normalise_url(postgres_server.url("postgres")))
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            Base.metadata.create_all(connection)
            with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
                report = Report(title="draft")
                session.add(report)
                session.flush()
                assert isinstance(report.id, uuid.UUID)
                assert report.version == 1
                report.title = "final"
                session.flush()
                assert report.version == 2
                # Another writer moved the row on meanwhile: this copy is stale.
                connection.exec_driver_sql(
                    "UPDATE columns_test_report SET version = 3 WHERE id = %s", (report.id,)
                )
                report.title = "lost update"
                with pytest.raises(StaleDataError):
                    session.flush()
            transaction.rollback()
    finally:
        engine.dispose()
