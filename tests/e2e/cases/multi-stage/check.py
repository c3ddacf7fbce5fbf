def check(t):
    t.file("/from-build.txt", "built\n")
    t.file("/from-index.txt", "built\n")
