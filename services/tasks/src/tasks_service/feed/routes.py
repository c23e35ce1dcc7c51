"""The tasks part of the calendar feed: all-day ``staff`` entries of the tasks in the window
(tasks linked to an event show through the event).
"""

from __future__ import annotations

from obcms_platform import registry
from obcms_platform.feed_routes import paged_feed_router
from tasks_service.feed.service import feed_page

router = paged_feed_router(registry.TASKS, feed_page)
