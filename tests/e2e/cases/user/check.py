def check(t):
    t.file("/tmp/uid.txt", "1234\n")
    t.file("/tmp/name.txt", "bob\n")
    t.owner("/tmp/uid.txt", 1234, 1234)
    t.file("/root-uid.txt", "0\n")
    t.equal("User", t.config.get("User"), "bob:users")
