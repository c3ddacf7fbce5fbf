def check(t):
    t.contains("app.py", t.read("/app/app.py"), "dateutil")
    t.contains("requirements.txt", t.read("/app/requirements.txt"), "python-dateutil==2.9.0.post0")
    t.exists("/usr/local/lib/python3.11/dist-packages/dateutil/parser/__init__.py")
