def check(t):
    # A multi-platform result: refs per platform id, containerimage.config/<id> and
    # refs.platforms. Docker 20.10's daemon refuses `--platform a,b` before any
    # frontend runs ("amd64,linux" is an invalid component ...), but
    # BUILDKIT_MULTI_PLATFORM=1 makes one platform a platform map, and Docker's three
    # exporters take it: the local (and tar) export gets a directory per platform...
    t.file("/linux_arm64/arch-arm64/hello.txt", "multi-platform\n")
    # ...and the image store gets that platform's config.
    t.equal("Architecture", t.image.get("Architecture"), "arm64")
    t.equal("WorkingDir", t.config.get("WorkingDir"), "/arch-arm64")
