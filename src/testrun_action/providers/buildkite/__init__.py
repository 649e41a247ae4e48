"""buildkite."""
