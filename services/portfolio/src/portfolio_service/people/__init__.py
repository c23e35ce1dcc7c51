"""The people the portfolio names in its exports (leads, members, authors)."""
