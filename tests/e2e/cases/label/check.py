def check(t):
    labels = t.config.get("Labels") or {}
    t.equal("version label", labels.get("org.example.version"), "1.2.3")
    t.equal("spaced label", labels.get("with space"), "a b")
    t.equal("legacy label", labels.get("legacy"), "form value")
    t.equal("cli label", labels.get("from.cli"), "yes")
