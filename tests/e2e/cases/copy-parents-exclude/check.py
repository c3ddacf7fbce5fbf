def check(t):
    # --parents keeps the source's path below the destination.
    t.file("/out/src/a/keep.txt", "a\n")
    t.absent("/out/keep.txt")
    # --exclude patterns match as in .dockerignore: `*.log` names the top level of the
    # source only, so b/skip.log is copied.
    t.file("/all/a/keep.txt", "a\n")
    t.exists("/all/b/skip.log")
