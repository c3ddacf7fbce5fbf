def check(t):
    t.exists("/opt/busybox")
    t.file("/result", "from-image\n")
