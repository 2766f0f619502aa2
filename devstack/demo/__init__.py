"""Demo data for a newcomer's first run (`seed_demo`)."""
