"""obcmsctl: the OBCMS operations CLI."""
