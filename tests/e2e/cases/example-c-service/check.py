def check(t):
    t.mode("/usr/local/bin/hello", 0o755)
    t.absent("/usr/bin/gcc")
    t.equal("WorkingDir", t.config.get("WorkingDir"), "/app")
    t.equal("APP_HOME", t.env("APP_HOME"), "/app")
