from dateutil.parser import parse

print(parse("2026-12-07").year)
