"""Shared platform mechanisms for OBCMS services.

Mechanisms only (settings, database, auth, health, metrics, telemetry, errors, pagination,
embedded dev servers); no domain code. Services import this package; it never imports a
service.
"""
