"""Files attached to PPAs and assessments (`obcms_platform.attachments`)."""
