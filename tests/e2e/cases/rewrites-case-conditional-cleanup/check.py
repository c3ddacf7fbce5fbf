def check(t):
    t.exists("/usr/bin/file")
    t.exists("/usr/bin/tree")
