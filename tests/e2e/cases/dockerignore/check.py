def check(t):
    t.file("/ctx/app.txt", "app\n")
    t.file("/ctx/keep.log", "keep\n")
    t.file("/ctx/sub/ok.txt", "ok\n")
    t.file("/ctx/docs/README.md", "readme\n")
    for path in ["/ctx/debug.log", "/ctx/secret", "/ctx/sub/x.tmp", "/ctx/docs/a.md"]:
        t.absent(path)
    # `*.log` matches in the context root only.
    t.file("/ctx/sub/nested.log", "nested-log\n")
    # A bind mount of the context sees the same files (the .dockerignore too).
    t.file("/bound-listing.txt", "".join(p + "\n" for p in [
        ".", "./.dockerignore", "./app.txt", "./docs", "./docs/README.md", "./keep.log",
        "./sub", "./sub/nested.log", "./sub/ok.txt",
    ]))
    t.file("/ctx/.dockerignore", open(__file__.replace("check.py", "context/.dockerignore")).read())
