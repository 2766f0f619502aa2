"""The internal generation API."""
