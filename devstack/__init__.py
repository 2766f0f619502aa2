"""Developer tooling: the launcher, demo data, SendGrid and GCS stand-ins, test processes.

Never installed in production: no app imports it outside its tests (see .importlinter).
"""
