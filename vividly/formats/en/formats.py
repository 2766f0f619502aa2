"""One way to write a date and a time across the admin: ISO order, seconds, and the time zone's name."""

# Events of one notification often happen within a minute, so seconds are shown; the zone
# (TIME_ZONE, the district's) is named so nobody guesses whether it is UTC.
DATETIME_FORMAT = "Y-m-d H:i:s T"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i:s T"
