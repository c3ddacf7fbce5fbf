def check(t):
    t.file("/base.txt", "base\n")
    t.file("/onbuild.txt", "trigger ran\n")
    t.file("/from-trigger/trigger.txt", "copied by a trigger\n")
    t.file("/after-trigger.txt", "trigger ran\ncopied by a trigger\nyes\n")
    t.equal("env FROM_TRIGGER", t.env("FROM_TRIGGER"), "yes")
    # The triggers ran in the child stage: they are not passed on further.
    t.equal("OnBuild", t.config.get("OnBuild"), None)
    t.equal("Healthcheck", t.config.get("Healthcheck"), {"Test": ["NONE"]})
