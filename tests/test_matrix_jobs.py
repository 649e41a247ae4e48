"""A small matrix: two action processes on one commit against one Buildkite simulator whose quota they
share (`benchmarks/matrix.py` measures eight). Neither compares with the other's run."""

from __future__ import annotations

from benchmarks import matrix


def test_jobs_of_a_matrix_on_one_commit_compare_with_earlier_builds_only() -> None:
    result = matrix.run(2)

    assert result.codes == (1, 1), result.logs  # each reports its own 4 failed tests
    assert result.own_commit_read == 0, result.logs
    for log in result.logs:
        assert matrix.EXPECTED in log
