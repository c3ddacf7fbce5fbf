def check(t):
    # `docker build <url of a .tar.gz>`: the archive is unpacked, and is both the
    # context and where the Dockerfile is read.
    t.file("/ctx/sub/data.txt", "unpacked from a tarball\n")
    t.exists("/ctx/Dockerfile")
    t.absent("/ctx/context")
    t.file("/size", "24\n")
