"""GitHub: the API (PyGithub, in `api` alone) and the check-run and comment publishers."""
