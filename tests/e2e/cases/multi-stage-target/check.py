def check(t):
    t.file("/dep.txt", "dep\n")
    t.absent("/onbuild.txt")
    t.equal("OnBuild", t.config.get("OnBuild"), ["RUN echo triggered > /onbuild.txt"])
    t.equal("Labels", t.config.get("Labels"), {"stage": "base"})
    t.equal("Healthcheck", t.config.get("Healthcheck"),
            {"Test": ["CMD", "cat", "/dep.txt"], "Interval": 30_000_000_000, "Retries": 2})
