def check(t):
    t.file("/default-shell.txt", "/bin/sh\n")
    flags = t.read("/flags.txt")
    t.contains("flags of the RUN shell", flags, "e")
    t.contains("flags of the RUN shell", flags, "u")
    t.equal("Shell", t.config.get("Shell"), ["/bin/sh", "-e", "-u", "-c"])
    t.equal("Cmd", t.config.get("Cmd"), ["/bin/sh", "-e", "-u", "-c", 'echo "cmd via $0 ($-) for $WHO"'])
