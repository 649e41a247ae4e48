"""The action's image, built from the real Dockerfile and run the way GitHub's runner runs it."""
