"""Local stack for `make run` and the tests: embedded PostgreSQL and Redis, service processes."""
