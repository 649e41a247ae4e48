"""testsigma."""
