"""Prometheus metrics: HTTP RED metrics by route template, DB query durations, /metrics.

Bucket edges sit on the alert thresholds (0.1, 0.5, 1, 2 s) so alerts and dashboards read
exact counts instead of interpolating. With several worker processes set
``PROMETHEUS_MULTIPROC_DIR`` and /metrics aggregates them.

/metrics is served on the app's own port, or with ``METRICS_PORT`` on a port of its own,
which the gateway's public ingress never reaches (``metrics_server``).
"""

from __future__ import annotations

import logging
import os
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client.exposition import ThreadingWSGIServer, make_wsgi_app
from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
DB_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
UNMATCHED_ROUTE = "<unmatched>"

HTTP_REQUESTS = Counter(
    "obcms_http_requests_total",
    "HTTP requests handled, by route template, method and status code.",
    ["service", "route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "obcms_http_request_duration_seconds",
    "HTTP request latency in seconds, by route template, method and status code.",
    ["service", "route", "method", "status"],
    buckets=HTTP_BUCKETS,
)
DB_QUERY_DURATION = Histogram(
    "obcms_db_query_duration_seconds",
    "Database statement execution time in seconds.",
    ["service"],
    buckets=DB_BUCKETS,
)


PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# A path parameter of this name is a credential (a calendar subscription's secret URL): the
# access log writes the route's template, never the value.
SECRET_PATH_PARAMETER = "{token}"
access_log = logging.getLogger("obcms.access")


class RequestTelemetryMiddleware:
    """Pure ASGI middleware (no response buffering): metrics and an access log line per request.

    It runs inside the OpenTelemetry middleware, so the access log carries the trace id.
    Probe and scrape requests are logged at DEBUG only.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED_ROUTE
            elapsed = time.perf_counter() - started
            labels = (self.service, template, scope["method"], str(status))
            HTTP_REQUESTS.labels(*labels).inc()
            HTTP_DURATION.labels(*labels).observe(elapsed)
            access_log.log(
                logging.DEBUG if scope["path"] in PROBE_PATHS else logging.INFO,
                "%s %s %s",
                scope["method"],
                template if SECRET_PATH_PARAMETER in template else scope["path"],
                status,
                extra={
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )


def instrument_engine(engine: Engine, service: str) -> None:
    """Observe the execution time of every statement run on `engine`."""
    histogram = DB_QUERY_DURATION.labels(service)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(
        conn: Any, cursor: Any, statement: Any, params: Any, context: Any, many: Any
    ) -> None:
        conn.info.setdefault("obcms_query_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _stop(conn: Any, cursor: Any, statement: Any, params: Any, context: Any, many: Any) -> None:
        histogram.observe(time.perf_counter() - conn.info["obcms_query_started"].pop())

    @event.listens_for(engine, "handle_error")
    def _failed(context: Any) -> None:
        conn = context.connection
        if conn is not None and conn.info.get("obcms_query_started"):
            histogram.observe(time.perf_counter() - conn.info["obcms_query_started"].pop())


def metrics_registry() -> CollectorRegistry:
    """What /metrics shows: this process's metrics, or with ``PROMETHEUS_MULTIPROC_DIR``
    those of every worker process (read from the folder at each scrape)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return DEFAULT_REGISTRY


def metrics_payload() -> bytes:
    return generate_latest(metrics_registry())


class _SleepingServer(ThreadingWSGIServer):
    """A metrics server that sleeps until a scrape. socketserver's ``serve_forever`` wakes
    twice a second to look for a shutdown request (prometheus_client's
    ``start_http_server`` too): here `shutdown` wakes it instead."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stop_reader, self._stop_writer = socket.socketpair()
        self._stopped = threading.Event()

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until `shutdown` (`poll_interval`, socketserver's, is not needed)."""
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self, selectors.EVENT_READ)
                selector.register(self._stop_reader, selectors.EVENT_READ)
                while True:
                    ready = {key.fileobj for key, _ in selector.select()}
                    if self._stop_reader in ready:
                        return
                    self.handle_request()
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        self._stop_writer.send(b"\0")
        self._stopped.wait()

    def server_close(self) -> None:
        super().server_close()
        self._stop_reader.close()
        self._stop_writer.close()


class _SharedPortServer(_SleepingServer):
    """Every uvicorn worker process of a pod binds the metrics port, as they share the main
    one (SO_REUSEPORT): the kernel hands each scrape to one of them, and with
    ``PROMETHEUS_MULTIPROC_DIR`` each answers for all."""

    allow_reuse_port = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged (the access log is the app's)."""


@contextmanager
def metrics_server(port: int, host: str = "0.0.0.0") -> Iterator[None]:  # noqa: S104
    """Serve /metrics on `port` while the block runs (0: nothing, the app serves it)."""
    if not port:
        yield
        return
    server = make_server(
        host,
        port,
        make_wsgi_app(metrics_registry()),
        server_class=_SharedPortServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def start_metrics_server(port: int, host: str = "0.0.0.0") -> None:  # noqa: S104
    """Serve this process's metrics on `port` for as long as it runs (a worker, the relay,
    the beat): prometheus_client's ``start_http_server``, asleep between scrapes."""
    server = make_server(
        host, port, make_wsgi_app(DEFAULT_REGISTRY), _SleepingServer, _QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()


metrics_router = APIRouter(tags=["operations"])


@metrics_router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    return Response(metrics_payload(), media_type=CONTENT_TYPE_LATEST)
