def check(t):
    t.contains("poetry.lock", t.read("/app/poetry.lock"), "python-dateutil")
