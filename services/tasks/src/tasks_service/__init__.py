"""OBCMS tasks service: tasks, teams, assignment, templates and auto-generation."""
