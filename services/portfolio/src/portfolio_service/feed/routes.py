"""The portfolio part of the calendar feed: all-day ``planning`` entries (PPA start and target
end dates, milestones, budget workflow stages) and ``mana`` entries (assessments).
"""

from __future__ import annotations

from obcms_platform import registry
from obcms_platform.feed_routes import paged_feed_router
from portfolio_service.feed.service import feed_page

router = paged_feed_router(registry.PORTFOLIO, feed_page)
