"""Schema field types the portfolio packages share (one definition each)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer

from obcms_platform.formatting import label
from obcms_platform.psgc import CODE_PATTERN, gazetteer
from obcms_platform.schemas import TextWithoutNul, deduplicated
from obcms_platform.vocabulary import SUSTAINABLE_DEVELOPMENT_GOALS, AreaLevel, PpaTag

ShortText = Annotated[TextWithoutNul, Field(max_length=255)]
FiscalYear = Annotated[int, Field(ge=1970, le=2199)]

# Money is exact: Numeric(14, 2) in the database, Decimal in Python. Requests accept a
# number or a numeric string with at most two decimals; responses carry JSON numbers.
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
SignedAmount = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]
AS_JSON_NUMBER = PlainSerializer(float, return_type=float, when_used="json")
Money = Annotated[Decimal, AS_JSON_NUMBER]
CENT = Decimal("0.01")


def percent(numerator: Decimal, denominator: Decimal | None) -> float | None:
    """numerator / denominator x 100, two decimals (half up, computed exactly: 1 of 800 is
    0.13, not the 0.12 that float rounding gives); None when the denominator is not > 0."""
    if denominator is None or denominator <= 0:
        return None
    return float((numerator * 100 / denominator).quantize(CENT, rounding=ROUND_HALF_UP))


# An indicator's values (a count, a rate, a share): exact like money, and signed (a change).
Measure = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]
Measured = Annotated[Decimal, AS_JSON_NUMBER]

SearchText = Annotated[TextWithoutNul, Field(min_length=1, max_length=200)]


# The PPA record's coverage, tags and goals (`obcms_platform.psgc`, `obcms_platform.vocabulary`).
PsgcCode = Annotated[str, Field(pattern=CODE_PATTERN, description="PSGC code (10 digits)")]


def _known_areas(codes: list[str]) -> list[str]:
    unknown = gazetteer().unknown(codes)
    if unknown:
        raise ValueError(f"not a PSGC code of any area: {', '.join(unknown)}")
    return deduplicated(codes)


def _area_at(level: AreaLevel) -> Callable[[str], str]:
    def check(code: str) -> str:
        area = gazetteer().get(code)
        if area is None or area.level != level:
            raise ValueError(f"{code} is not the PSGC code of a {label(level).lower()}")
        return code

    return check


# Areas at any level, each once, in the order given; at most a few hundred barangays.
Coverage = Annotated[list[PsgcCode], Field(max_length=500), AfterValidator(_known_areas)]
RegionCode = Annotated[PsgcCode, AfterValidator(_area_at(AreaLevel.REGION))]
ProvinceCode = Annotated[PsgcCode, AfterValidator(_area_at(AreaLevel.PROVINCE))]
# A count of people (an Integer column).
Headcount = Annotated[int, Field(ge=0, le=2_000_000_000)]
Sdg = Annotated[
    int, Field(ge=min(SUSTAINABLE_DEVELOPMENT_GOALS), le=max(SUSTAINABLE_DEVELOPMENT_GOALS))
]
# Each once, in the vocabulary's order (goals by number), whatever the order sent.
Sdgs = Annotated[list[Sdg], AfterValidator(lambda goals: sorted(set(goals)))]
Tags = Annotated[
    list[PpaTag], AfterValidator(lambda tags: sorted(set(tags), key=list(PpaTag).index))
]
