"""The beat: one process runs the scheduled jobs and sends the queued email.

Several beat processes may run (a rolling update, a second replica by mistake); exactly one
acts: the holder of a PostgreSQL advisory lock taken on a connection of its own. The lock
lives as long as that connection, so a killed holder (its socket closed by the kernel, or
dropped by TCP keepalives when its node vanishes) frees it, and the next beat to try takes
over within one tick. Each job also claims its period in `job_runs`, so even two holders in
a split second could not run a period twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from datetime import UTC, datetime

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import Gauge
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from notifications_service.db import load_models
from notifications_service.delivery.service import send_due
from notifications_service.jobs.service import LAST_SUCCESS, Job, jobs, run
from notifications_service.settings import NotificationsSettings
from obcms_platform.db import Database
from obcms_platform.heap import freeze_startup_heap
from obcms_platform.logging import configure_logging
from obcms_platform.metrics import start_metrics_server

logger = logging.getLogger(__name__)

# pg_advisory_lock key of the beat ("OBCMSBEA" as a signed 64-bit integer).
BEAT_LOCK_KEY = int.from_bytes(b"OBCMSBEA", "big", signed=True)

LEADER = Gauge("obcms_beat_leader", "1 while this beat process holds the beat lock.")


class Leadership:
    """The beat lock, held on a dedicated connection and checked before every run."""

    def __init__(self, database: Database, key: int = BEAT_LOCK_KEY) -> None:
        self.database = database
        self.key = key
        self.connection: Connection | None = None
        self.holding = False
        # The scheduler's threads share this one connection.
        self.guard = threading.Lock()

    def held(self) -> bool:
        """True while this process holds the lock (taking it when free)."""
        with self.guard:
            try:
                if self.connection is None:
                    self.connection = self.database.engine.connect().execution_options(
                        isolation_level="AUTOCOMMIT"
                    )
                    self.holding = False
                if self.holding:
                    self.connection.execute(text("SELECT 1"))
                else:
                    self.holding = bool(
                        self.connection.execute(
                            text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
                        ).scalar()
                    )
                    if self.holding:
                        logger.info("beat lock taken: this beat runs the jobs")
            except DBAPIError:
                logger.warning("beat lock connection lost; will try again", exc_info=True)
                self._drop()
            LEADER.set(int(self.holding))
            return self.holding

    def release(self) -> None:
        with self.guard:
            self._drop()

    def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(DBAPIError):
                self.connection.close()
        self.connection = None
        self.holding = False
        LEADER.set(0)


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def build(settings: NotificationsSettings, database: Database) -> BlockingScheduler:
    """The scheduler: every job on its period, the email sender, each run only by the
    lock's holder."""
    leadership = Leadership(database)
    runner = runner_name()
    # One job at a time: runs are short, and a job never overlaps itself or another.
    scheduler = BlockingScheduler(timezone=UTC, executors={"default": ThreadPoolExecutor(1)})

    def run_job(job: Job) -> None:
        if leadership.held():
            run(database, settings, job, datetime.now(UTC), runner)

    def send_email() -> None:
        if leadership.held():
            send_due(database, settings)

    for job in jobs(settings).values():
        # Counted from the start: a job failing from its first run is late after two periods
        # (the alert needs the series to exist).
        LAST_SUCCESS.labels(job.name).set_to_current_time()
        scheduler.add_job(
            run_job,
            IntervalTrigger(seconds=job.every.total_seconds(), timezone=UTC),
            args=[job],
            id=job.name,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
    scheduler.add_job(
        send_email,
        IntervalTrigger(seconds=settings.email_send_interval_seconds, timezone=UTC),
        id="send_email",
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.add_listener(lambda _: leadership.release(), mask=EVENT_SCHEDULER_SHUTDOWN)
    return scheduler


def main(settings: NotificationsSettings) -> None:
    configure_logging("notifications-beat", settings.log_level)
    # APScheduler logs every run at INFO; the jobs log what they did.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    load_models()
    database = Database(
        settings.database_url, pool_size=3, max_overflow=1, application_name="notifications-beat"
    )
    if settings.beat_metrics_port:
        start_metrics_server(settings.beat_metrics_port)
    freeze_startup_heap()
    logger.info("ready: beat %s", runner_name())
    build(settings, database).start()
