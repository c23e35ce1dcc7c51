"""Files attached to tasks (`obcms_platform.attachments`)."""
