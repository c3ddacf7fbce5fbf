def check(t):
    t.equal("Entrypoint", t.config.get("Entrypoint"), ["echo", "from-entrypoint"])
    t.equal("Cmd", t.config.get("Cmd"), ["default", "args"])
