"""The two-tier content cache: Redis hot tier, Google Cloud Storage cold tier."""
