"""The aggregated calendar feed: JSON, ICS, its Redis cache and the calendar page."""
