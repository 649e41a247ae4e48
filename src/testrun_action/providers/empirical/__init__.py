"""empirical."""
