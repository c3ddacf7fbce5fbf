def check(t):
    t.exists("/app/app.py")
    t.exists("/app/requirements.txt")
    t.equal("User", t.config.get("User"), "1000")
