def check(t):
    t.file("/a", "a\n")
    t.file("/b", "b\n")
