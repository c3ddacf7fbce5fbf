def check(t):
    t.file("/unpacked/inside/one.txt", "one\n")
    t.file("/unpacked/two.txt", "two\n")
    t.exists("/not-unpacked/archive.tar.gz")
    t.owner("/owned.txt", 1000, 1001)
    t.mode("/private.txt", 0o600)
    t.file("/added-plain.txt", "plain\n")
