from dateutil import parser

print(parser.parse("2026-12-07T10:00:00").year)
