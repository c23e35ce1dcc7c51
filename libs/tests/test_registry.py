"""The registry's declarations agree with each other and with what libs builds from them."""

from __future__ import annotations

from collections import Counter

import pytest

from obcms_platform import feed, registry
from obcms_platform.bus import topology
from obcms_platform.devstack import stack
from obcms_platform.registry import DEPLOYABLES, GATEWAY, SERVICES


def _repeated(values: list[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def test_names_ports_and_port_variables_are_unique() -> None:
    assert _repeated([d.name for d in DEPLOYABLES]) == []
    assert _repeated([str(d.default_port) for d in DEPLOYABLES]) == []
    assert _repeated([d.port_setting for d in DEPLOYABLES]) == []
    assert _repeated([d.package for d in DEPLOYABLES]) == []


def test_each_api_resource_has_one_owner() -> None:
    """Two services claiming a resource would route it silently to the last one."""
    claimed = [resource for service in SERVICES for resource in service.owned_resources]
    assert _repeated(claimed) == []
    assert GATEWAY.owned_resources == ()  # the gateway forwards; it owns no resource


def test_feed_modules_are_the_platforms_and_each_has_a_source() -> None:
    served = {module for service in SERVICES for module in service.feed_modules}
    assert served <= set(feed.MODULES), "a service serves a module the feed does not know"
    assert set(feed.MODULES) <= served, "a feed module no service serves would stay empty"


def test_every_consumed_pattern_matches_a_family_someone_else_publishes() -> None:
    """Except its own records' deletions, which a deployable storing files consumes to remove
    their files."""
    for deployable in DEPLOYABLES:
        others = {f for d in DEPLOYABLES if d is not deployable for f in d.announces}
        for pattern in deployable.consumes:
            family, _, change = pattern.partition(".")
            if family in deployable.publishes:
                assert change == "deleted", (deployable.name, pattern)
                assert deployable.stores_files, (deployable.name, pattern)
            else:
                assert family in others, (
                    f"{deployable.name} consumes {pattern}: nobody publishes it"
                )


def test_feed_changing_families_are_published_by_another_service() -> None:
    for service in SERVICES:
        others = {f for s in SERVICES if s is not service for f in s.publishes}
        assert set(service.feed_changed_by) <= others, service.name


def test_every_published_family_invalidates_its_owners_feed() -> None:
    invalidation = registry.feed_invalidation()
    for service in SERVICES:
        if service.feed_modules:
            for family in (*service.publishes, *service.feed_changed_by):
                assert service.name in invalidation[family], (service.name, family)
    # Deleting a calendar event unlinks tasks: the tasks feed changes too.
    assert set(invalidation["event"]) == {"calendar", "tasks"}


def test_the_gateway_queue_receives_every_family_that_changes_a_feed() -> None:
    for family, sources in registry.feed_invalidation().items():
        assert sources
        assert topology.subscribes("gateway", f"{family}.created"), family


def test_the_bus_binds_exactly_the_declared_consumers() -> None:
    bound = {queue.name: {b.routing_key for b in queue.bindings} for queue in topology.all_queues()}
    assert bound == {
        topology.queue_name(d.name): set(d.consumes) for d in DEPLOYABLES if d.consumes
    }


def test_the_dev_stack_runs_a_worker_for_each_consumer_and_relays_each_publisher() -> None:
    env = {d.port_setting: str(20_000 + index) for index, d in enumerate(DEPLOYABLES)}
    names = {spec.name for spec in stack.processes(SERVICES, env)}
    assert names == {
        "relay",
        *(f"{s.name}-api" for s in SERVICES),
        *(f"{s.name}-worker" for s in SERVICES if s.consumes),
        *(f"{s.name}-{command}" for s in SERVICES for command in s.processes),
    }
    assert "notifications-beat" in names
    assert set(stack.relay_consumers().split(",")) == set(topology.SUBSCRIPTIONS)
    # Every publisher's outbox, the gateway's too (it announces accounts).
    assert set(stack.relay_sources().split(",")) == {d.name for d in DEPLOYABLES if d.publishes}
    assert "gateway" in stack.relay_sources().split(",")
    gateway = stack.gateway_process(SERVICES, env)
    assert gateway.env == {
        f"OBCMS_GATEWAY_{s.name.upper()}_URL": f"http://127.0.0.1:{env[s.port_setting]}"
        for s in SERVICES
    }
    assert gateway.ready_url == f"http://127.0.0.1:{env['OBCMS_PORT']}/readyz"


def test_a_service_left_out_of_the_stack_gets_an_empty_gateway_url() -> None:
    without_calendar = tuple(s for s in SERVICES if s.name != "calendar")
    assert stack.gateway_process(without_calendar, {}).env["OBCMS_GATEWAY_CALENDAR_URL"] == ""


def test_a_settings_path_that_is_not_a_settings_class_is_refused() -> None:
    broken = registry.Deployable(
        name="broken",
        package="broken_service",
        settings_class="obcms_platform.registry:Deployable",
        default_port=1,
    )
    with pytest.raises(TypeError, match="not a ServiceSettings class"):
        broken.settings_type()
