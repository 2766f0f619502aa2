"""The generation queue: what the content generator makes, claims, uploads and completes."""
