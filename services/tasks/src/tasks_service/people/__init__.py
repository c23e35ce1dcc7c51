"""The people the task exports name (assignees, authors)."""
