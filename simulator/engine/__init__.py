"""The Monte Carlo engine: blocks of 8192 paths -> mergeable aggregates -> results."""
