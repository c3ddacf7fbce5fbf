def check(t):
    t.file("/hello.txt", "hello\n")
    t.file("/a/b/c.txt", "nested\n")
    t.file("/quoted.txt", "quoted 'words' and more\n")
    t.exists("/bin/busybox")
