"""The portfolio's lists exported in the background (`obcms_platform.export_jobs`)."""
