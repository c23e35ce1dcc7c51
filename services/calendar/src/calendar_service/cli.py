"""`obcms-calendar`: serve the API, migrations, bus operations (outbox status, republish)."""

from calendar_service.db import bus
from calendar_service.settings import get_settings
from obcms_platform.cli import service_cli

app = service_cli("calendar_service", get_settings, bus=bus, consumes_events=False)

if __name__ == "__main__":
    app()
