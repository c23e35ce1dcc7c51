"""``obcms-gateway check-deploy``: refuse an insecure production configuration.

The counterpart of Django's ``manage.py check --deploy``; also run at start-up in production
mode (the app factory raises ``InsecureSettingsError`` on any problem).
"""

from __future__ import annotations

import math
from collections import Counter

from gateway_service.settings import GatewaySettings
from obcms_platform.settings import RunMode

HSTS_MINIMUM = 31_536_000
ARGON2_MIN_MEMORY_KIB = 19_456  # OWASP password storage cheat sheet
# SECRET_KEY, surrounding whitespace not counted: long enough, and not predictable by two
# measures. Its Shannon entropy estimate (over its own character frequencies) must reach
# 3 bits per character: "aaaa..." has 0, random hexadecimal about 3.8, base64 about 5. And
# at least 3 in 4 of its 3-character runs must differ: a repeated word or sequence
# ("0123456789" * 6: 17%) has few; random text of this length almost never repeats one.
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_BITS_PER_CHARACTER = 3.0
MIN_SECRET_KEY_DISTINCT_TRIGRAMS = 0.75


def shannon_bits_per_character(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def distinct_trigram_share(text: str) -> float:
    trigrams = [text[i : i + 3] for i in range(len(text) - 2)]
    return len(set(trigrams)) / len(trigrams)


def secret_key_problem(secret_key: str) -> str | None:
    """What makes `secret_key` unfit to sign production cookies (None: nothing)."""
    key = secret_key.strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"must be at least {MIN_SECRET_KEY_LENGTH} characters"
    if (
        shannon_bits_per_character(key) < MIN_SECRET_KEY_BITS_PER_CHARACTER
        or distinct_trigram_share(key) < MIN_SECRET_KEY_DISTINCT_TRIGRAMS
    ):
        return (
            "is too predictable (repeated or too few distinct characters); "
            "generate one, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return None


def deploy_problems(settings: GatewaySettings) -> list[str]:
    prefix = settings.env_prefix
    problems: list[str] = []
    if settings.mode is not RunMode.PRODUCTION:
        problems.append(f"{prefix}MODE is {settings.mode.value!r}; production needs 'production'")
    for name, is_dev_value in settings.dev_secret_values().items():
        if is_dev_value:
            problems.append(f"{prefix}{name.upper()} is the development default")
    if (weakness := secret_key_problem(settings.secret_key)) is not None:
        problems.append(f"{prefix}SECRET_KEY {weakness}")
    if (weakness := secret_key_problem(settings.unsubscribe_secret)) is not None:
        problems.append(f"{prefix}UNSUBSCRIBE_SECRET {weakness}")
    if not settings.allowed_hosts:
        problems.append(f"{prefix}ALLOWED_HOSTS is empty (comma-separated public host names)")
    elif "*" in settings.allowed_hosts:
        problems.append(f"{prefix}ALLOWED_HOSTS must name the hosts, not '*'")
    if "*" in settings.trusted_proxies:
        problems.append(
            f"{prefix}TRUSTED_PROXIES must name the proxies, not '*' (any client could choose "
            "its address in X-Forwarded-For)"
        )
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
