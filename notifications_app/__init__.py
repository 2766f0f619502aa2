"""Templated email through anymail/SendGrid from RQ priority queues."""
