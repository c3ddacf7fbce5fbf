def check(t):
    t.file("/run-heredoc.txt", "hello from a heredoc\nsecond line\n")
    t.file("/copied/greeting.txt", "hello, copied\n")
    t.mode("/usr/local/bin/hi", 0o755)
    t.file("/chomped.txt", "tabs stripped\n")
