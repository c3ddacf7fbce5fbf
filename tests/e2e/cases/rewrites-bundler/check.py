def check(t):
    t.exists("/usr/local/bundle/bin/rake")
    t.contains("rake version", t.read("/rake-version.txt"), "13.2.1")
