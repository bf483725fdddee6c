"""One way to write dates and times everywhere the admin renders them (issue #23):
`2026-12-06 23:54 WIB`, TIME_ZONE with its name, as console/ and report notes write it.
Django's English formats said `Dec. 6, 2026, 11:54 p.m.` in lists and `12/06/2026` in
forms. Numbers, where formatted, get `,` between thousands."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
# What forms accept: the shown format first, then Django's usual inputs.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
TIME_INPUT_FORMATS = ["%H:%M:%S", "%H:%M"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
