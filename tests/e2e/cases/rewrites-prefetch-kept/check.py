def check(t):
    t.exists("/usr/bin/tree")
