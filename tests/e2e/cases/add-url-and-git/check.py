def check(t):
    t.file("/downloaded/hello.txt", "served over http\n")
    t.file("/downloaded/renamed.txt", "served over http\n")
    t.mode("/downloaded/renamed.txt", 0o640)
    t.file("/src/README.txt", "from git\n")
    t.file("/src/sub/file.txt", "nested\n")
    t.absent("/src/.git")
    t.file("/with-git/sub/file.txt", "nested\n")
    t.is_dir("/with-git/.git")
