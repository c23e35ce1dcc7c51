"""The platform registry: every deployable (the services and the gateway) and what it serves,
declared once.

The dev stack, the bus topology, the gateway (backends, API routing, feed sources, feed cache
invalidation), ``obcmsctl`` and the bench read these declarations; tests check the chart's
values, the services' OpenAPI documents and the feed modules against them. Services are named
by package and settings path only: libs never import a service.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from obcms_platform.settings import ServiceSettings


# The event family of comments (``comment.posted``), announced by each service keeping them.
COMMENT_FAMILY = "comment"
# The event family of background exports (``export.requested``, ``export.completed``,
# ``export.failed``).
EXPORT_FAMILY = "export"


@dataclass(frozen=True)
class Deployable:
    name: str  # also its database (obcms_<name>) and settings prefix (OBCMS_<NAME>_)
    package: str  # Python package: <package>.cli runs it, <package>:migrations is its schema
    settings_class: str  # "module:Class" of its settings (a ServiceSettings)
    default_port: int
    port_variable: str = ""  # empty: OBCMS_<NAME>_PORT
    api_resources: tuple[str, ...] = ()  # first path segments under /api/v1 that it owns
    feed_modules: tuple[str, ...] = ()  # the modules its /api/v1/feed serves
    publishes: tuple[str, ...] = ()  # event families it announces (``<family>.<change>``)
    consumes: tuple[str, ...] = ()  # routing-key patterns its event worker handles
    # Other deployables' event families that change what its feed shows.
    feed_changed_by: tuple[str, ...] = ()
    # Long-running commands besides ``serve`` and ``worker`` (``<package>.cli <command>``).
    processes: tuple[str, ...] = ()
    # The records it keeps comments on (`obcms_platform.comments`): it announces the
    # ``comment`` family too, a family several services publish.
    comments_on: tuple[str, ...] = ()
    # It exports lists in the background (`obcms_platform.export_jobs`): it announces the
    # ``export`` family, and its worker runs its own ``export.requested``.
    export_jobs: bool = False

    @property
    def announces(self) -> tuple[str, ...]:
        """Every event family it publishes: its own, ``comment`` if it keeps comments and
        ``export`` if it runs export jobs. Neither changes a feed: `feed_invalidation` reads
        `publishes` only."""
        shared = ((COMMENT_FAMILY,) if self.comments_on else ()) + (
            (EXPORT_FAMILY,) if self.export_jobs else ()
        )
        return (*self.publishes, *shared)

    @property
    def exports_resource(self) -> str | None:
        """The API collection of its export jobs (``/api/v1/tasks-exports``): named for the
        service, since several keep export jobs and the gateway routes by the first segment."""
        return f"{self.name}-exports" if self.export_jobs else None

    @property
    def owned_resources(self) -> tuple[str, ...]:
        """Every first path segment under /api/v1 that it answers: its `api_resources` and
        the collection of its export jobs."""
        exports = self.exports_resource
        return (*self.api_resources, exports) if exports else self.api_resources

    # Its records carry attachments: files in its storage (`obcms_platform.storage`) under
    # ``<name>/``, one row each in its ``attachments`` table. Backup, restore and the
    # integrity check cover them; the chart gives its API and worker the storage settings.
    stores_files: bool = False

    @property
    def has_worker(self) -> bool:
        """An event worker runs exactly for a consumer (a queue nobody reads grows forever)."""
        return bool(self.consumes)

    @property
    def env_prefix(self) -> str:
        return f"OBCMS_{self.name.upper()}_"

    @property
    def database(self) -> str:
        return f"obcms_{self.name}"

    @property
    def database_url_variable(self) -> str:
        return f"{self.env_prefix}DATABASE_URL"

    @property
    def port_setting(self) -> str:
        return self.port_variable or f"{self.env_prefix}PORT"

    @property
    def default_url(self) -> str:
        return f"http://127.0.0.1:{self.default_port}"

    @property
    def port(self) -> int:
        return self.port_in(os.environ)

    @property
    def url(self) -> str:
        return self.url_in(os.environ)

    def port_in(self, env: Mapping[str, str]) -> int:
        """The port variable of `env` overrides the default."""
        return int(env.get(self.port_setting, self.default_port))

    def url_in(self, env: Mapping[str, str]) -> str:
        return f"http://127.0.0.1:{self.port_in(env)}"

    def settings_type(self) -> type[ServiceSettings]:
        """The settings class, imported from its path."""
        from obcms_platform.settings import ServiceSettings

        module, _, name = self.settings_class.partition(":")
        found = getattr(importlib.import_module(module), name)
        if not (isinstance(found, type) and issubclass(found, ServiceSettings)):
            raise TypeError(f"{self.settings_class} is not a ServiceSettings class")
        return found


TASKS = Deployable(
    name="tasks",
    package="tasks_service",
    settings_class="tasks_service.settings:TasksSettings",
    default_port=8001,
    api_resources=("tasks", "teams", "task-templates"),
    # Tasks linked to an event show through the event.
    feed_modules=("staff",),
    publishes=("task",),
    comments_on=("task",),
    # PPAs and assessments generate template tasks; events are linked to tasks; a deleted
    # task's files go (its own event).
    consumes=(
        "task.deleted",
        "ppa.created",
        "ppa.updated",
        "ppa.deleted",
        "ppa.approval_changed",
        "assessment.created",
        "assessment.deleted",
        "event.created",
        "event.updated",  # an event's preparation tasks move with it
        "event.deleted",
        "export.requested",  # its own export jobs
        "user.changed",  # the people its exports name
    ),
    # Deleting a calendar event unlinks its tasks (they then show as tasks of their own).
    feed_changed_by=("event",),
    stores_files=True,  # on tasks
    export_jobs=True,
)
PORTFOLIO = Deployable(
    name="portfolio",
    package="portfolio_service",
    settings_class="portfolio_service.settings:PortfolioSettings",
    default_port=8003,
    api_resources=(
        "ppas",
        "budget-ceilings",
        "approval-queue",
        "funding-tranches",
        "assessments",
        "needs",
        "portfolio",
        "reports",
    ),
    feed_modules=("planning", "mana"),  # PPA dates, milestones, stages; assessments
    publishes=("ppa", "assessment", "milestone", "workflow_stage", "need"),
    comments_on=("ppa", "assessment", "need"),
    # The per-PPA task projection and PPA progress; a deleted PPA's or assessment's files go
    # (its own events).
    consumes=(
        "task.*",
        "ppa.deleted",
        "assessment.deleted",
        "export.requested",
        "user.changed",  # the people its exports name
    ),
    stores_files=True,  # on PPAs and assessments
    export_jobs=True,
)
CALENDAR = Deployable(
    name="calendar",
    package="calendar_service",
    settings_class="calendar_service.settings:CalendarSettings",
    default_port=8002,
    api_resources=("events", "resources", "bookings", "leaves"),
    feed_modules=("coordination", "resources", "staff"),  # events, bookings, leave
    publishes=("event", "booking", "leave"),
    comments_on=("event",),
)
NOTIFICATIONS = Deployable(
    name="notifications",
    package="notifications_service",
    settings_class="notifications_service.settings:NotificationsSettings",
    default_port=8004,
    api_resources=("notifications", "notification-preferences"),
    # Who must hear of what: assignments, decisions, approval moves, invitations; the people
    # (addresses, time zones, roles) from the gateway.
    consumes=(
        "user.changed",
        "task.*",
        "leave.*",
        "booking.*",
        "ppa.created",
        "ppa.updated",
        "ppa.deleted",
        "ppa.approval_changed",
        "event.*",
        "comment.posted",  # mentions
        "export.completed",  # the requester's file is ready
        "export.failed",  # or it could not be written
    ),
    # The scheduled jobs and the email sender (one acts at a time: `jobs/beat.py`).
    processes=("beat",),
)
# The services behind the gateway, in the order they are listed everywhere.
SERVICES: tuple[Deployable, ...] = (TASKS, PORTFOLIO, CALENDAR, NOTIFICATIONS)


def feed_invalidation(services: tuple[Deployable, ...] = SERVICES) -> dict[str, tuple[str, ...]]:
    """Event family -> the services whose feed an event of it can change."""
    families = dict.fromkeys(family for service in services for family in service.publishes)
    return {
        family: tuple(
            service.name
            for service in services
            if service.feed_modules
            and (family in service.publishes or family in service.feed_changed_by)
        )
        for family in families
    }


# The public entry point; it owns identity and announces every change of a user account.
# Its worker drops cached feed parts on every event that can change a feed
# (`feed_invalidation`).
GATEWAY = Deployable(
    name="gateway",
    package="gateway_service",
    settings_class="gateway_service.settings:GatewaySettings",
    default_port=8000,
    port_variable="OBCMS_PORT",
    publishes=("user",),
    consumes=tuple(f"{family}.*" for family, sources in feed_invalidation().items() if sources),
)
# Everything deployed, each with its own database: the gateway first, then the services.
DEPLOYABLES: tuple[Deployable, ...] = (GATEWAY, *SERVICES)


def by_name(name: str) -> Deployable:
    """The deployable called `name`; KeyError naming the known ones otherwise."""
    for deployable in DEPLOYABLES:
        if deployable.name == name:
            return deployable
    known = ", ".join(deployable.name for deployable in DEPLOYABLES)
    raise KeyError(f"no deployable {name!r} (known: {known})")


def route_table(services: tuple[Deployable, ...] = SERVICES) -> dict[str, str]:
    """First path segment under /api/v1 -> the service that owns it."""
    return {resource: service.name for service in services for resource in service.owned_resources}


def feed_sources(services: tuple[Deployable, ...] = SERVICES) -> dict[str, tuple[str, ...]]:
    """Service -> the feed modules it serves (only services with a feed)."""
    return {service.name: service.feed_modules for service in services if service.feed_modules}


def subscriptions(
    deployables: tuple[Deployable, ...] = DEPLOYABLES,
) -> dict[str, tuple[str, ...]]:
    """Consumer -> the routing-key patterns its queue is bound to."""
    return {
        deployable.name: deployable.consumes for deployable in deployables if deployable.consumes
    }


def file_stores(deployables: tuple[Deployable, ...] = DEPLOYABLES) -> tuple[Deployable, ...]:
    """The deployables whose records carry attachments."""
    return tuple(deployable for deployable in deployables if deployable.stores_files)
