def check(t):
    t.file("/linked/a.txt", "linked\n")
    t.file("/linked/copy.txt", "linked\n")
    t.mode("/linked/private.txt", 0o600)
