"""Dataset scales: `ref` is one year at the original system's reference volume; `xN` is N
years of history at that volume per year (N times the records, the same per month), up to
`MAX_HISTORY_YEARS`: beyond it the years get denser (x100 is 50 years at twice the volume)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The original's reference volume (issue 7); every count is multiplied by the scale factor.
REFERENCE_COUNTS = {
    "ppas": 100,
    "events": 200,
    "assessments": 50,
    "manual_tasks": 500,
    "leave_requests": 10,
    "bookings": 20,
}

# The office's people (besides the admin): the same head-count at every scale, since an
# office does not grow with the years of history it keeps.
STAFF = 60


# The platform refuses dates before 1970 (and fiscal years before it), so a century of
# history cannot be stored: 50 years back from the reference year always can.
MAX_HISTORY_YEARS = 50


@dataclass(frozen=True)
class Scale:
    name: str
    factor: float

    def count(self, what: str) -> int:
        return max(1, round(REFERENCE_COUNTS[what] * self.factor))

    @property
    def years(self) -> int:
        """Years of history (a fraction of ref is one sparser year, for tests)."""
        return min(MAX_HISTORY_YEARS, max(1, round(self.factor)))


def parse_scale(text: str) -> Scale:
    """`ref`, `x10`, `x100`, or a fraction such as `x0.1` (tests, smoke runs)."""
    name = text.strip().lower()
    if name == "ref":
        return Scale("ref", 1)
    match = re.fullmatch(r"x(\d+(?:\.\d+)?)", name)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"scale {text!r}: use ref or xN (x10, x100, x0.1)")
    return Scale(name, float(match.group(1)))


def parse_scales(text: str) -> list[Scale]:
    return [parse_scale(part) for part in text.split(",") if part.strip()]
