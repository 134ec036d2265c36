"""Setting up and running the whole stack on one machine (used by `make run` and the tests)."""
