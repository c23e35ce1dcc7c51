"""OBCMS gateway."""
