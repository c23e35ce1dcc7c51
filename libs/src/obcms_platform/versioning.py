"""Optimistic concurrency over HTTP: ETag carries a row version, If-Match guards writes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Response

from obcms_platform.errors import InvalidInputError


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


async def _expected_version(
    if_match: Annotated[str | None, Header(description="ETag of the version being changed")] = None,
) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidInputError('If-Match: expected an ETag such as "3"', field="If-Match")
    return int(value)


ExpectedVersion = Annotated[int | None, Depends(_expected_version)]
