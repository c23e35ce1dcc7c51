"""``obcms-gateway check-deploy``: refuse an insecure production configuration.

The counterpart of Django's ``manage.py check --deploy``; also run at start-up in production
mode (the app factory raises ``InsecureSettingsError`` on any problem).
"""

from __future__ import annotations

from gateway_service.settings import GatewaySettings
from obcms_platform.settings import RunMode

HSTS_MINIMUM = 31_536_000
MIN_SECRET_KEY_LENGTH = 50
ARGON2_MIN_MEMORY_KIB = 19_456  # OWASP password storage cheat sheet


def deploy_problems(settings: GatewaySettings) -> list[str]:
    prefix = settings.env_prefix
    problems: list[str] = []
    if settings.mode is not RunMode.PRODUCTION:
        problems.append(f"{prefix}MODE is {settings.mode.value!r}; production needs 'production'")
    for name, is_dev_value in settings.dev_secret_values().items():
        if is_dev_value:
            problems.append(f"{prefix}{name.upper()} is the development default")
    if len(settings.secret_key) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"{prefix}SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters")
    if not settings.allowed_hosts:
        problems.append(f"{prefix}ALLOWED_HOSTS is empty (comma-separated public host names)")
    elif "*" in settings.allowed_hosts:
        problems.append(f"{prefix}ALLOWED_HOSTS must name the hosts, not '*'")
    if not settings.ssl_redirect:
        problems.append(f"{prefix}SECURE_SSL_REDIRECT is off (HTTP must redirect to HTTPS)")
    if not settings.secure_session_cookie:
        problems.append(f"{prefix}SESSION_COOKIE_SECURE is off")
    if not settings.secure_csrf_cookie:
        problems.append(f"{prefix}CSRF_COOKIE_SECURE is off")
    if settings.hsts_seconds < HSTS_MINIMUM:
        problems.append(f"{prefix}SECURE_HSTS_SECONDS must be at least {HSTS_MINIMUM}")
    if not settings.secure_hsts_include_subdomains:
        problems.append(f"{prefix}SECURE_HSTS_INCLUDE_SUBDOMAINS is off")
    if settings.argon2_memory_cost_kib < ARGON2_MIN_MEMORY_KIB or settings.argon2_time_cost < 2:
        problems.append(
            f"{prefix}ARGON2_* cost is below the minimum "
            f"(memory {ARGON2_MIN_MEMORY_KIB} KiB, time cost 2)"
        )
    if not settings.content_security_policy.strip():
        problems.append(f"{prefix}CONTENT_SECURITY_POLICY is empty")
    return problems
