def check(t):
    t.file("/pwd.txt", "/app/sub\n")
    t.file("/pwd2.txt", "/var/data\n")
    t.is_dir("/app/sub")
    t.equal("WorkingDir", t.config.get("WorkingDir"), "/var/data")
