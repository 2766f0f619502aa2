"""HTTP API of delivery_app."""
