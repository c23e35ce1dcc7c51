"""OBCMS calendar service."""
