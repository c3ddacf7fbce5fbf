def check(t):
    t.file("/exec.txt", "exec\n")
    t.exists("/touched")
    t.file("/args.txt", "first second\n")
