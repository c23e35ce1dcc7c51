"""The maintenance switch (admin): ``GET/PUT /api/v1/admin/maintenance``."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request

from gateway_service.auth.identity import AdminUser
from gateway_service.maintenance.middleware import MAINTENANCE_PATH
from gateway_service.maintenance.schemas import MaintenanceState, MaintenanceUpdate
from gateway_service.maintenance.service import current_state, set_state
from gateway_service.settings import GatewaySettings
from obcms_platform.errors import error_responses

router = APIRouter(tags=["maintenance"], responses=error_responses(401, 403))
logger = logging.getLogger(__name__)


@router.get(MAINTENANCE_PATH, response_model=MaintenanceState)
async def get_maintenance(request: Request, _: AdminUser) -> MaintenanceState:
    return await current_state(request.app.state.redis, request.app.state.settings)


@router.put(MAINTENANCE_PATH, response_model=MaintenanceState, responses=error_responses(422))
async def put_maintenance(
    request: Request, data: MaintenanceUpdate, admin: AdminUser
) -> MaintenanceState:
    settings: GatewaySettings = request.app.state.settings
    state = MaintenanceState(
        enabled=data.enabled, message=data.message or settings.maintenance_message
    )
    await set_state(request.app.state.redis, state)
    logger.warning("maintenance mode %s by %s", "on" if state.enabled else "off", admin.username)
    return state
