def check(t):
    t.file("/from-cache.txt", "cached\n")
    t.file("/cache-owner.txt", "1000 700\n")
    t.absent("/cache/x")
