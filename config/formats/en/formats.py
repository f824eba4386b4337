# The back office shows every datetime with its time zone, in one unambiguous order
# (Django's default for "en" is "Dec. 1, 2026, 12:27 p.m.", zone unnamed).
DATETIME_FORMAT = "Y-m-d H:i:s T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
