def check(t):
    labels = t.config.get("Labels") or {}
    t.equal("Labels[from.cli]", labels.get("from.cli"), "yes")
    t.equal("Labels[from.dockerfile]", labels.get("from.dockerfile"), "yes")
    t.contains("/hosts-line", t.read("/hosts-line"), "10.1.2.3")
