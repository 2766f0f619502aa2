"""Observability: Prometheus metrics, request ids in responses, error bodies and logs."""
