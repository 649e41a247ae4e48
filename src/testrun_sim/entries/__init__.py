"""The registry's entries: each provider's simulators as the demo and the sandbox start them."""
