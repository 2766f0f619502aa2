"""Periodic work of the running service: each app registers what must run every so often."""
