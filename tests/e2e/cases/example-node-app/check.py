def check(t):
    t.exists("/app/server.js")
    t.exists("/app/node_modules/express/package.json")
    # The runtime stage has Node but neither npm nor npm's cache.
    t.exists("/usr/bin/node")
    t.absent("/usr/bin/npm")
    t.absent("/root/.npm")
    t.absent("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease")
    t.equal("User", t.config.get("User"), "65534")
    t.equal("Entrypoint", t.config.get("Entrypoint"), ["node", "/app/server.js"])
    t.equal("ExposedPorts", t.config.get("ExposedPorts"), {"3000/tcp": {}})
