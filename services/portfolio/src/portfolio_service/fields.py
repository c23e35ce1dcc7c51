"""Schema field types the portfolio packages share (one definition each)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

from obcms_platform.schemas import TextWithoutNul

ShortText = Annotated[str, Field(max_length=255)]
FiscalYear = Annotated[int, Field(ge=1970, le=2199)]

# Money is exact: Numeric(14, 2) in the database, Decimal in Python. Requests accept a
# number or a numeric string with at most two decimals; responses carry JSON numbers.
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
SignedAmount = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]
AS_JSON_NUMBER = PlainSerializer(float, return_type=float, when_used="json")
Money = Annotated[Decimal, AS_JSON_NUMBER]

# An indicator's values (a count, a rate, a share): exact like money, and signed (a change).
Measure = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]
Measured = Annotated[Decimal, AS_JSON_NUMBER]

SearchText = Annotated[TextWithoutNul, Field(min_length=1, max_length=200)]
