"""Project-wide API plumbing: authentication, permissions, errors, parsing, paging."""
