def check(t):
    t.equal("Author", t.image.get("Author"), "Jane Doe <jane@example.com>")
    t.equal("Volumes", t.config.get("Volumes"), {"/data": {}, "/logs": {}, "/cache": {}})
    # BuildKit keeps what a RUN writes below a VOLUME (the classic builder dropped it);
    # VOLUME itself does not create the directory.
    t.file("/data/after.txt", "written after VOLUME\n")
    t.equal("StopSignal", t.config.get("StopSignal"), "SIGUSR1")
    t.equal("Healthcheck", t.config.get("Healthcheck"), {
        "Test": ["CMD-SHELL", "cat /data/after.txt || exit 1"],
        "Interval": 5_000_000_000,
        "Timeout": 2_000_000_000,
        "StartPeriod": 1_000_000_000,
        "Retries": 4,
    })
