def check(t):
    t.file("/verified.txt", "served over http\n")
