def check(t):
    t.file("/platforms", "linux/amd64 linux/amd64 linux/amd64 linux/amd64 []\n")
    t.file("/undeclared", "[]\n")
    t.file("/arch", "amd64\n")
