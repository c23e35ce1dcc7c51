"""The task list exported in the background (`obcms_platform.export_jobs`)."""
