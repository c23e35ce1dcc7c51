"""`obcms-tasks`: serve the API, run migrations, report migration status."""

from obcms_platform.cli import service_cli
from tasks_service.settings import get_settings

app = service_cli("tasks_service", get_settings)

if __name__ == "__main__":
    app()
