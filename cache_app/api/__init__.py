"""HTTP API of cache_app."""
