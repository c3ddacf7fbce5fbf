def check(t):
    # `docker build <url of a Dockerfile>`: the download is the Dockerfile, and the
    # context is the download itself, a directory with one file named `context`.
    t.file("/listing", "context\n")
    t.file("/built", "built\n")
