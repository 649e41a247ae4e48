"""Simulators of the services the action talks to, real HTTP servers on 127.0.0.1, and what runs on them:
the hostile servers, `testrun demo`, `testrun sandbox` and the tests' oracle for the runner's files.

A sibling of testrun_action: the command line's install and the development environment include it, the
action's image never does, and the action never imports it (only `testrun demo` and `testrun sandbox` hand
over to it). `registry.SIMULATORS` holds each provider's simulators, keyed by the `provider` input's value.
"""
