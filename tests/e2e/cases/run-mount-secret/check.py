def check(t):
    t.file("/secret-size.txt", "6\n")
    t.file("/secret-mode.txt", "400\n")
    t.absent("/run/secrets/token")
