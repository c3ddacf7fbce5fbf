def check(t):
    t.file("/args.txt", "busybox|from-cli|dflt|dflt-x|\n")
    for key in ["BASE", "FROM_CLI", "WITH_DEFAULT", "EXPANDED"]:
        t.equal(f"ARG {key} must not reach the image env", t.env(key), None)
