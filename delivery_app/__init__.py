"""Content delivery: requests, signed URLs, access control, watch tracking, analytics."""
