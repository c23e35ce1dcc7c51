"""Rows the obcmsctl tests insert, through the services' own models."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from calendar_service.calendar_events.models import Event, EventType
from obcms_platform.db import normalise_url
from obcms_platform.devstack.embedded import free_port
from obcms_platform.registry import Deployable
from obcms_platform.storage import FileStorage
from obcmsctl.services import libpq_dsn
from portfolio_service.assessments.models import Assessment, AssessmentLevel, Methodology
from portfolio_service.ppas.models import Ppa, PpaCategory
from tasks_service.tasks.models import Task


def database_options(
    databases: dict[str, str], only: Iterable[Deployable] | None = None
) -> list[str]:
    """``--<name>-db <url>`` for each database (of `only`, when given)."""
    names = list(databases) if only is None else [deployable.name for deployable in only]
    return [option for name in names for option in (f"--{name}-db", databases[name])]


def unreachable_kubeconfig(folder: Path) -> Path:
    """A kubeconfig whose cluster is a free local port: every call fails to connect."""
    kubeconfig = folder / "kubeconfig"
    kubeconfig.write_text(
        f"""apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "https://127.0.0.1:{free_port()}"}}}}]
users: [{{name: u, user: {{token: t}}}}]
contexts: [{{name: x, context: {{cluster: c, user: u}}}}]
current-context: x
"""
    )
    return kubeconfig


def add(url: str, *rows: object) -> None:
    engine = create_engine(normalise_url(url), poolclass=NullPool)
    with Session(engine, expire_on_commit=False) as session:
        session.add_all(rows)
        session.commit()
    engine.dispose()


def ppa(title: str = "Solar dryers") -> Ppa:
    return Ppa(id=uuid.uuid4(), title=title, category=PpaCategory.OOBC_PPA)


def assessment() -> Assessment:
    return Assessment(
        id=uuid.uuid4(),
        title="Baseline survey",
        primary_methodology=Methodology.SURVEY,
        assessment_level=AssessmentLevel.REGIONAL,
    )


def event() -> Event:
    start = datetime(2027, 2, 1, 9, tzinfo=UTC)
    return Event(
        id=uuid.uuid4(),
        title="Coordination meeting",
        event_type=EventType.MEETING,
        start=start,
        end=start + timedelta(hours=2),
        span_end=start + timedelta(hours=2),
    )


def task(title: str, **links: uuid.UUID) -> Task:
    return Task(id=uuid.uuid4(), title=title, **links)


def table_rows(url: str, table: str) -> list[dict[str, object]]:
    """Every row of `table`, ordered by id, as column -> value."""
    import psycopg
    from psycopg.rows import dict_row

    from obcmsctl.services import libpq_dsn

    with psycopg.connect(libpq_dsn(url), row_factory=dict_row) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


def table_fingerprints(url: str) -> dict[str, tuple[int, str | None]]:
    """Row count and md5 of the rows (ordered by id) of every table with an id column."""
    import psycopg

    from obcmsctl.services import libpq_dsn

    with psycopg.connect(libpq_dsn(url)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND column_name = 'id' ORDER BY table_name"
            )
        ]
        result: dict[str, tuple[int, str | None]] = {}
        for name in tables:
            row = conn.execute(
                f"SELECT count(*), md5(string_agg(t::text, '' ORDER BY id)) FROM {name} t"
            ).fetchone()
            assert row is not None
            result[name] = (row[0], row[1])
    return result


def attach(
    url: str,
    storage: FileStorage,
    service: str,
    content: bytes,
    record_type: str = "task",
    content_type: str = "application/pdf",
) -> str:
    """A file attached as the service does it: stored under its key, then its row (plain
    SQL, the columns `obcmsctl` reads and the service requires). Returns the key."""
    attachment_id, record_id = uuid.uuid4(), uuid.uuid4()
    key = f"{service}/{record_type}/{record_id}/{attachment_id}"
    storage.put(key, io.BytesIO(content), content_type=content_type)
    with psycopg.connect(libpq_dsn(url)) as conn:
        conn.execute(
            "INSERT INTO attachments (id, record_type, record_id, filename, content_type, size, "
            "sha256, storage_key, uploaded_by, uploaded_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, now())",
            (
                attachment_id,
                record_type,
                record_id,
                "minutes.pdf",
                content_type,
                len(content),
                hashlib.sha256(content).hexdigest(),
                key,
                uuid.uuid4(),
            ),
        )
    return key
