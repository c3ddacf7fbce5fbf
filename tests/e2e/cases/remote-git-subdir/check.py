def check(t):
    # `docker build <git url>#master:app` on BuildKit v0.13+: only the app
    # subdirectory of the checkout is the context (and holds the Dockerfile).
    t.file("/app/app.txt", "in the app subdirectory\n")
    t.exists("/app/Dockerfile")
    t.absent("/app/app")
