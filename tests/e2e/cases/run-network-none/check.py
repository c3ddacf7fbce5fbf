def check(t):
    t.file("/interfaces.txt", "lo\n")
