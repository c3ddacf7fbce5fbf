def check(t):
    t.exists("/venv/bin/python")
    t.exists("/app/app.py")
    # The runtime stage has libpq but neither the compiler nor the apt lists.
    t.absent("/usr/bin/gcc")
    t.equal("User", t.config.get("User"), "1000")
    t.equal("Cmd", t.config.get("Cmd"), ["python", "app.py"])
    t.contains("PATH", t.env("PATH") or "", "/venv/bin")
