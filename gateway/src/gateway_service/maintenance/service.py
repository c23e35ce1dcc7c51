"""Maintenance mode, stored in Redis so every gateway replica sees the same switch.

Nothing stored means the environment default (``MAINTENANCE_MODE``); if Redis cannot be
read the default applies too, so a Redis outage does not take the site down on its own.
"""

from __future__ import annotations

import json
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway_service.maintenance.schemas import MaintenanceState
from gateway_service.settings import GatewaySettings

KEY = "gateway:maintenance"

logger = logging.getLogger(__name__)


def default_state(settings: GatewaySettings) -> MaintenanceState:
    return MaintenanceState(enabled=settings.maintenance_mode, message=settings.maintenance_message)


async def current_state(redis: aioredis.Redis, settings: GatewaySettings) -> MaintenanceState:
    try:
        raw = await redis.get(KEY)
    except RedisError as exc:
        logger.warning("maintenance state unreadable, using the default: %s", exc)
        return default_state(settings)
    if raw is None:
        return default_state(settings)
    try:
        return MaintenanceState.model_validate(json.loads(raw))
    except ValueError:
        return default_state(settings)


async def set_state(redis: aioredis.Redis, state: MaintenanceState) -> None:
    await redis.set(KEY, state.model_dump_json())
