"""Simulators of the services the action talks to: real HTTP servers on 127.0.0.1 for the tests, the
demo and `testrun sandbox`. The action never imports them."""
