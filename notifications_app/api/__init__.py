"""HTTP API of notifications_app."""
