def check(t):
    t.equal("Cmd", t.config.get("Cmd"), ["/bin/sh", "-c", "echo hello $WHO"])
    t.equal("Entrypoint", t.config.get("Entrypoint"), None)
