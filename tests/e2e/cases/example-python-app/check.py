def check(t):
    t.exists("/venv/bin/python")
    t.exists("/app/app.py")
    t.equal("User", t.config.get("User"), "1000")
    t.equal("Cmd", t.config.get("Cmd"), ["python", "app.py"])
    t.contains("PATH", t.env("PATH") or "", "/venv/bin")
