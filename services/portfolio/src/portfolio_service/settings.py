"""Portfolio service settings (environment prefix ``OBCMS_PORTFOLIO_``, falling back to
``OBCMS_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from obcms_platform.settings import ServiceSettings


class PortfolioSettings(ServiceSettings):
    env_prefix: ClassVar[str] = "OBCMS_PORTFOLIO_"
    service_name: ClassVar[str] = "portfolio"

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/obcms_portfolio"


@lru_cache
def get_settings() -> PortfolioSettings:
    return PortfolioSettings()
