def check(t):
    t.exists("/app/app.py")
    t.exists("/usr/bin/git")
    # .dockerignore kept these out of the context.
    t.absent("/app/Dockerfile")
    t.absent("/app/README.md")
    t.equal("WorkingDir", t.config.get("WorkingDir"), "/app")
    t.equal("Cmd", t.config.get("Cmd"), ["python", "app.py"])
