def check(t):
    t.exists("/usr/local/bin/go-naive")
    t.equal("User", t.config.get("User"), "65534")
