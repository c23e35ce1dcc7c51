"""``obcmsctl``: operate an OBCMS installation (see the README's "Operations CLI")."""

from __future__ import annotations

import typer

from obcmsctl import audit, backup, cache, deploy, integrity, maintenance, preflight, schema, smoke

app = typer.Typer(help="OBCMS operations CLI", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """OBCMS operations: integrity, backup and restore, preflight, migrations, rollback."""


integrity.register(app)
audit.register(app)
backup.register(app)
preflight.register(app)
schema.register(app)
cache.register(app)
smoke.register(app)
maintenance.register(app)
deploy.register(app)
