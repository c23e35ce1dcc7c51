"""OBCMS benchmarks (`make bench`)."""
