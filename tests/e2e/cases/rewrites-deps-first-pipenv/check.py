def check(t):
    t.contains("Pipfile.lock", t.read("/app/Pipfile.lock"), "python-dateutil")
    t.exists("/usr/local/lib/python3.11/dist-packages/dateutil/parser/__init__.py")
    t.exists("/usr/local/lib/python3.11/dist-packages/six.py")
