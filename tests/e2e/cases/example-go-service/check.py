def check(t):
    t.exists("/usr/local/bin/go-service")
    # The runtime stage is busybox plus the binary: no Go toolchain, no sources.
    t.absent("/usr/lib/go")
    t.absent("/src")
    t.equal("User", t.config.get("User"), "65534")
    t.equal("Entrypoint", t.config.get("Entrypoint"), ["/usr/local/bin/go-service"])
    t.equal("ExposedPorts", t.config.get("ExposedPorts"), {"8080/tcp": {}})
