"""Prioritisation board request and response schemas."""

from __future__ import annotations

from pydantic import Field

from obcms_platform.schemas import RequestModel, ResponseModel


class RankChange(RequestModel):
    """Where a manager puts a need on the board: `rank` 1 is the top; a rank past the last
    ranked need puts it last; null clears its rank (the score alone places it again)."""

    rank: int | None = Field(ge=1, le=100_000)


class PrioritySummary(ResponseModel):
    """Counts of the needs the board's filters select."""

    needs: int
    ranked: int = Field(description="with a manager's rank")
    high_priority: int = Field(description="scoring high_priority_score or more")
    uncovered: int = Field(description="addressed by no PPA")
    high_priority_uncovered: int = Field(description="high priority and addressed by no PPA")
    high_priority_score: int
