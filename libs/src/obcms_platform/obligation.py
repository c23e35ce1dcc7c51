"""When a PPA is under-obligated (DOMAIN.md, "Funding tranches"), declared once: its
obligation rate (obligated / allocated x 100) is below `UNDER_OBLIGATED_BELOW` on the day it
is judged. The portfolio service judges a PPA's funding today and the dashboard's PPAs at the
end of the last completed quarter; every page and report says the rule with its day
(`under_obligated_rule`), so that a PPA brief's "under-obligated today" and a dashboard's
"none at the end of Q3" never read as a contradiction."""

from __future__ import annotations

from decimal import Decimal

UNDER_OBLIGATED_BELOW = Decimal(75)


def under_obligated_rule(judged: str) -> str:
    """The rule in words, judged `judged` ("today", "by 30 Sep 2026"): "obligated below 75 %
    of the allocation today"."""
    return f"obligated below {UNDER_OBLIGATED_BELOW} % of the allocation {judged}"
