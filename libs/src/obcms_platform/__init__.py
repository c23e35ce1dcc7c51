"""Shared platform mechanisms for OBCMS services.

Mechanisms only (settings, database, auth, health, metrics, telemetry, errors, pagination,
embedded dev servers); no domain code. Services import this package; it never imports a
service.
"""

import sys

# `import httpx` also imports httpx's command-line client whenever its dependencies are
# installed (rich and pygments come with typer): about 3 MB more in every gateway worker, and
# no process here runs it. A None entry makes that import fail, as if they were missing;
# the `httpx` command itself, a process of its own, is unaffected.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
