"""Privacy: what each app holds about a user, exported, erased and expired through one registry."""
