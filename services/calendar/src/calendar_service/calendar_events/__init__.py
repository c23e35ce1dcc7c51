"""calendar events."""
