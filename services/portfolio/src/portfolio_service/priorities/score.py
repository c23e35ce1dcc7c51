"""A need's priority score: 0 to 100 points from its urgency, impact severity, feasibility
and affected population, each factor's points stated so the board can say why.

The weights are data, written once here (`URGENCY_POINTS`, …); the score is computed from
them twice, over one row in Python (`priority_of`: what a need's answer and the board show)
and as a SQL expression (`score_expression`: what the list sorts by, over every matching
need before paging). A test holds the two equal over every value of each factor.

- urgency: immediate 40, short term 30, medium term 15, long term 5;
- impact severity: 6 points a level, 1/5 → 6 to 5/5 → 30;
- feasibility: very high 15, high 12, medium 8, low 4, very low 0;
- affected population: up to 15 points on a log scale, full from `FULL_POPULATION` people
  (100 people → 8, 1,000 → 11); unrecorded counts 0, and says so.

Population is scaled against a fixed number, not the portfolio's largest need: a need's score
then changes only when the need does, not when another community's need is recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, case, cast, func, literal
from sqlalchemy.orm import QueryableAttribute

from obcms_platform.formatting import label
from obcms_platform.vocabulary import Feasibility, UrgencyLevel

URGENCY_POINTS: dict[UrgencyLevel, int] = {
    UrgencyLevel.IMMEDIATE: 40,
    UrgencyLevel.SHORT_TERM: 30,
    UrgencyLevel.MEDIUM_TERM: 15,
    UrgencyLevel.LONG_TERM: 5,
}
POINTS_PER_SEVERITY_LEVEL = 6
MAX_SEVERITY = 5
FEASIBILITY_POINTS: dict[Feasibility, int] = {
    Feasibility.VERY_HIGH: 15,
    Feasibility.HIGH: 12,
    Feasibility.MEDIUM: 8,
    Feasibility.LOW: 4,
    Feasibility.VERY_LOW: 0,
}
POPULATION_POINTS = 15
FULL_POPULATION = 10_000
MAX_SCORE = (
    max(URGENCY_POINTS.values())
    + POINTS_PER_SEVERITY_LEVEL * MAX_SEVERITY
    + max(FEASIBILITY_POINTS.values())
    + POPULATION_POINTS
)
# A need scoring this much or more is high priority (the board's summary counts those that no
# PPA addresses).
HIGH_PRIORITY_SCORE = 60

Columnar = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True)
class ScoreComponent:
    """One factor's share of a score: `points` of `max_points`, and `reason`, the factor's
    value in words ("Immediate urgency")."""

    factor: str
    reason: str
    points: int
    max_points: int


@dataclass(frozen=True)
class Priority:
    """A need's score and its components (their points add up to it)."""

    score: int
    components: tuple[ScoreComponent, ...]

    @property
    def explanation(self) -> str:
        """The score in words: "Immediate urgency +40, severity 4/5 +24, …"."""
        return ", ".join(f"{part.reason} +{part.points}" for part in self.components)


def population_points(population: int | None) -> int:
    """Points for `population` people: log-scaled, all of them from `FULL_POPULATION`."""
    if not population:
        return 0
    share = math.log10(population + 1) / math.log10(FULL_POPULATION + 1)
    return min(POPULATION_POINTS, math.floor(POPULATION_POINTS * share + 0.5))


def priority_of(
    urgency_level: UrgencyLevel,
    impact_severity: int,
    feasibility: Feasibility,
    affected_population: int | None,
) -> Priority:
    """The priority of a need with these values."""
    if affected_population is None:
        population = "population not recorded"
    else:
        population = f"{affected_population:,} {'person' if affected_population == 1 else 'people'}"
    components = (
        ScoreComponent(
            "urgency",
            f"{label(urgency_level)} urgency",
            URGENCY_POINTS[urgency_level],
            max(URGENCY_POINTS.values()),
        ),
        ScoreComponent(
            "impact_severity",
            f"severity {impact_severity}/{MAX_SEVERITY}",
            POINTS_PER_SEVERITY_LEVEL * impact_severity,
            POINTS_PER_SEVERITY_LEVEL * MAX_SEVERITY,
        ),
        ScoreComponent(
            "feasibility",
            f"{label(feasibility).lower()} feasibility",
            FEASIBILITY_POINTS[feasibility],
            max(FEASIBILITY_POINTS.values()),
        ),
        ScoreComponent(
            "affected_population",
            population,
            population_points(affected_population),
            POPULATION_POINTS,
        ),
    )
    return Priority(sum(part.points for part in components), components)


def score_expression(
    urgency_level: Columnar,
    impact_severity: Columnar,
    feasibility: Columnar,
    population: Columnar,
) -> ColumnElement[Any]:
    """`priority_of(…).score` in SQL, of the columns holding a need's values (the list's
    sort)."""
    share = func.log(cast(population + 1, Float)) / math.log10(FULL_POPULATION + 1)
    population_score = case(
        (func.coalesce(population, 0) == 0, literal(0)),
        else_=func.least(POPULATION_POINTS, func.floor(POPULATION_POINTS * share + 0.5)),
    )
    return (
        case(URGENCY_POINTS, value=urgency_level)
        + POINTS_PER_SEVERITY_LEVEL * impact_severity
        + case(FEASIBILITY_POINTS, value=feasibility)
        + population_score
    )
