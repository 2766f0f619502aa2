"""`make bench`: HTTP scenarios driven by wrk against gunicorn, as ratios to a baseline."""
