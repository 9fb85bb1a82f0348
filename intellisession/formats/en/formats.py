"""One way of writing dates and times everywhere a page shows them (Django reads these through
FORMAT_MODULE_PATH): "Jan 7, 2026" and "Jan 7, 2026, 14:05 UTC", the zone always shown."""

DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y, H:i T"
SHORT_DATE_FORMAT = "M j"
SHORT_DATETIME_FORMAT = "M j, H:i T"
