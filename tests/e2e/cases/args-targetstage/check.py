def check(t):
    # Without --target the target is the last stage, named "release".
    t.file("/build-stage", "build sees [release]\n")
    t.file("/release-stage", "release sees [release]\n")
