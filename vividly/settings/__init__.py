"""Settings modules: base, local (default), production, test and bench."""
