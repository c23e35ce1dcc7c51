"""Celery apps of the bus: the consumer worker of a service, and the publisher side.

Delivery guarantees come from the settings: late acks (a message is acknowledged only after
its handler's transaction), reject-on-worker-lost (a killed child puts it back), prefetch 1,
and a visibility timeout after which Redis redelivers what a dead worker held.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Mapping
from typing import Any

from celery import Celery, Task, bootsteps
from celery.signals import worker_ready
from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError

from obcms_platform.bus.consumer import EventConsumer, Handler
from obcms_platform.bus.tables import BusTables
from obcms_platform.bus.topology import all_queues, consumer_queue
from obcms_platform.bus.transport import TRANSPORT
from obcms_platform.db import Database
from obcms_platform.heap import freeze_startup_heap
from obcms_platform.logging import configure_logging
from obcms_platform.metrics import instrument_engine, start_metrics_server
from obcms_platform.settings import ServiceSettings

logger = logging.getLogger(__name__)

HANDLE_TASK = "obcms.bus.handle"


def _base_config(broker_url: str, visibility_timeout: int) -> dict[str, Any]:
    return {
        "broker_url": broker_url,
        # kombu's Redis transport, fixed so that a worker survives a Redis restart.
        "broker_transport": TRANSPORT,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": visibility_timeout,
            # Sweep for messages of dead workers often; the sweep itself is cheap.
            "unacked_restore_interval": max(1, min(10, visibility_timeout // 3)),
            "unacked_restore_throttle": 1,
        },
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "result_backend": None,
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
    }


def publisher_app(broker_url: str, visibility_timeout: int = 300) -> Celery:
    """A Celery app used only to send: the relay and the dead-letter replay."""
    app = Celery("obcms-bus-publisher")
    app.conf.update(_base_config(broker_url, visibility_timeout), task_queues=all_queues())
    return app


def retry_delay(retries: int, base: float) -> float:
    """Exponential backoff: base, 2*base, 4*base ... capped at 5 minutes."""
    return float(min(base * (2**retries), 300.0))


class WakeOnSignal(bootsteps.StartStopStep):  # type: ignore[misc]  # Celery is untyped
    """Wakes the worker's event loop when a signal arrives. Python resumes a wait that a
    signal interrupted (PEP 475), so Celery's loop saw a stop signal only at its next timer
    or message, up to the transport's `IDLE_WAKE_SECONDS` later: every stop waited. The
    signal now also writes to a socket the loop reads (`signal.set_wakeup_fd`)."""

    requires = ("celery.worker.components:Hub",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.sockets: tuple[socket.socket, socket.socket] | None = None

    def start(self, parent: Any) -> None:
        # Signals reach the main thread only (a worker embedded in a thread has no wake-up fd).
        if parent.hub is None or threading.current_thread() is not threading.main_thread():
            return
        reader, writer = self.sockets = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        parent.hub.add_reader(reader, self._drain)

    def _drain(self, *_: Any) -> None:
        assert self.sockets is not None
        with contextlib.suppress(BlockingIOError):
            while self.sockets[0].recv(256):
                pass

    def stop(self, parent: Any) -> None:
        if self.sockets is None:
            return
        signal.set_wakeup_fd(-1)
        if parent.hub is not None:
            parent.hub.remove(self.sockets[0])
        for end in self.sockets:
            end.close()
        self.sockets = None


def worker_app(
    consumer: EventConsumer,
    broker_url: str,
    *,
    max_retries: int = 5,
    retry_base_seconds: float = 2.0,
    visibility_timeout: int = 300,
    metrics_port: int | None = None,
) -> Celery:
    """The Celery app of one consuming service: its own queue, one task that dispatches."""
    app = Celery(f"obcms-{consumer.name}-worker")
    queue = consumer_queue(consumer.name)
    app.conf.update(
        _base_config(broker_url, visibility_timeout),
        task_queues=[queue],
        task_default_queue=queue.name,
        worker_pool="threads",
    )
    app.steps["worker"].add(WakeOnSignal)

    @app.task(name=HANDLE_TASK, bind=True, max_retries=None)
    def handle(self: Task, payload: Mapping[str, Any]) -> str:
        retries = self.request.retries
        event_type = str(payload.get("type")) if isinstance(payload, Mapping) else "unknown"

        def retry(exc: Exception, countdown: float) -> Exception:
            consumer.record_retry(event_type)
            # Back to this service's queue only (the anonymous exchange routes by queue
            # name): other consumers of the same event already have their copy.
            return self.retry(  # type: ignore[no-any-return]
                exc=exc,
                countdown=countdown,
                queue=queue.name,
                exchange="",
                routing_key=queue.name,
            )

        def park(exc: Exception) -> str:
            try:
                consumer.dead_letter(payload, exc, attempts=retries + 1)
            except Exception as parking_failed:
                # Never let an error escape: Celery acknowledges a failed task, and the
                # event would be gone without a dead letter. Keep it and try again later.
                logger.warning("dead-lettering failed; retrying", exc_info=parking_failed)
                delay = retry_delay(min(retries, 4), retry_base_seconds)
                raise retry(parking_failed, delay) from parking_failed
            return "dead_lettered"

        try:
            return consumer.handle(payload).value
        except ValidationError as exc:
            # A malformed envelope never becomes valid: park it at once.
            return park(exc)
        except (OperationalError, InterfaceError) as exc:
            # The database is unreachable: wait for it, however long; never dead-letter.
            raise retry(exc, retry_delay(min(retries, 4), retry_base_seconds)) from exc
        except Exception as exc:
            if retries >= max_retries:
                return park(exc)
            logger.warning("handler failed; retrying", exc_info=exc)
            raise retry(exc, retry_delay(retries, retry_base_seconds)) from exc

    @worker_ready.connect(weak=False)
    def _ready(**_: Any) -> None:
        freeze_startup_heap()
        if metrics_port:
            start_metrics_server(metrics_port)

    return app


def service_worker(
    settings: ServiceSettings, tables: BusTables, handlers: Mapping[str, Handler]
) -> Celery:
    """The whole worker of a service from its settings, bus tables and handlers."""
    configure_logging(f"{settings.service_name}-worker", settings.log_level)
    database = Database(
        settings.database_url,
        pool_size=settings.worker_concurrency + 1,
        max_overflow=2,
        statement_timeout_ms=settings.db_statement_timeout_ms,
        application_name=f"{settings.service_name}-worker",
        # No round trip before each event: after a database restart the first event fails
        # on a dead connection, which empties the pool of them, and is retried (never
        # dead-lettered, see `worker_app`); the inbox keeps its effect to one.
        pre_ping=False,
    )
    instrument_engine(database.engine, f"{settings.service_name}-worker")
    consumer = EventConsumer(settings.service_name, database, tables, handlers)
    app = worker_app(
        consumer,
        settings.redis_url,
        max_retries=settings.bus_max_retries,
        retry_base_seconds=settings.bus_retry_base_seconds,
        visibility_timeout=settings.bus_visibility_timeout,
        metrics_port=settings.worker_metrics_port or None,
    )
    app.conf.worker_concurrency = settings.worker_concurrency
    return app
