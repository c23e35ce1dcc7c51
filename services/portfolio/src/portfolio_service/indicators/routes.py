"""Indicator routes (under a PPA): parse, call the service, commit, respond."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Response, status

from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.resource_routes import Write, Writes, collection_router
from portfolio_service.authz import INDICATOR_WRITE
from portfolio_service.indicators import service
from portfolio_service.indicators.schemas import (
    ActualCreate,
    ActualRead,
    IndicatorCreate,
    IndicatorRead,
    IndicatorUpdate,
)

router = collection_router("ppas/{ppa_id}/indicators", tag="indicators", errors=(404,))

IndicatorWrite = Annotated[Write, Writes(INDICATOR_WRITE)]
UnversionedWrite = Annotated[Write, Writes(INDICATOR_WRITE, if_match=False)]


@router.get("", response_model=list[IndicatorRead])
def list_indicators(
    ppa_id: uuid.UUID, session: DbSession, _: CurrentPrincipal
) -> list[IndicatorRead]:
    """The PPA's indicators, oldest first, each with its actuals (latest first), attainment
    and status."""
    return service.list_indicators(session, ppa_id)


def _answer(write: Write, indicator_id: uuid.UUID) -> IndicatorRead:
    """The indicator as it is now saved (its figures read before the commit, in the write's
    transaction), its version the ETag."""
    answer = service.indicator_read(write.session, indicator_id)
    write.saved(answer)
    return answer


@router.post(
    "",
    response_model=IndicatorRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403),
)
def create_indicator(
    ppa_id: uuid.UUID, data: IndicatorCreate, write: UnversionedWrite
) -> IndicatorRead:
    indicator = service.create_indicator(write.session, ppa_id, data, write.principal)
    write.response.headers["Location"] = f"{API_PREFIX}/ppas/{ppa_id}/indicators/{indicator.id}"
    return _answer(write, indicator.id)


@router.patch("/{indicator_id}", response_model=IndicatorRead, responses=error_responses(403, 412))
def update_indicator(
    ppa_id: uuid.UUID, indicator_id: uuid.UUID, changes: IndicatorUpdate, write: IndicatorWrite
) -> IndicatorRead:
    service.update_indicator(
        write.session, ppa_id, indicator_id, changes, write.principal, write.expected_version
    )
    return _answer(write, indicator_id)


@router.delete(
    "/{indicator_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403, 412),
)
def delete_indicator(ppa_id: uuid.UUID, indicator_id: uuid.UUID, write: IndicatorWrite) -> Response:
    """The indicator and its actuals."""
    service.delete_indicator(write.session, ppa_id, indicator_id, write.expected_version)
    return write.no_content()


@router.post(
    "/{indicator_id}/actuals",
    response_model=ActualRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 409),
)
def record_actual(
    ppa_id: uuid.UUID, indicator_id: uuid.UUID, data: ActualCreate, write: UnversionedWrite
) -> ActualRead:
    """The indicator's value at a period's end (one per period: a second is a 409)."""
    actual = service.record_actual(write.session, ppa_id, indicator_id, data, write.principal)
    write.response.headers["Location"] = (
        f"{API_PREFIX}/ppas/{ppa_id}/indicators/{indicator_id}/actuals/{actual.id}"
    )
    return write.respond(actual, ActualRead, etag=False)


@router.delete(
    "/{indicator_id}/actuals/{actual_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403),
)
def delete_actual(
    ppa_id: uuid.UUID, indicator_id: uuid.UUID, actual_id: uuid.UUID, write: UnversionedWrite
) -> Response:
    service.delete_actual(write.session, ppa_id, indicator_id, actual_id)
    return write.no_content()
