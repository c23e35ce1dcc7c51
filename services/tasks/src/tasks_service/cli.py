"""`obcms-tasks`: serve the API, run the worker, migrations, bus operations."""

from obcms_platform.cli import service_cli
from tasks_service.db import bus
from tasks_service.settings import get_settings

app = service_cli("tasks_service", get_settings, bus=bus)

if __name__ == "__main__":
    app()
