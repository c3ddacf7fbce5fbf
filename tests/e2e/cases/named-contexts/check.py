def check(t):
    t.file("/extra.txt", "from the extra context\n")
    # The stage `base` was replaced by the image: its RUN never ran.
    t.file("/base-was.txt", "replaced\n")
    t.exists("/tool-busybox")
    t.file("/ctx.txt", "ctx\n")
