def check(t):
    # `docker build <git url>#master`: the checkout is the context and holds the
    # Dockerfile (tests/e2e/lib/servers.sh makes the repository from this case).
    t.file("/hello-copy", "hello from git\n")
    t.file("/ctx/hello.txt", "hello from git\n")
    # BuildKit applies .dockerignore only to a local context, never to a remote one
    # (v0.8.3 reads it but does not use it; HEAD does not read it).
    t.file("/ctx/ignored.txt", "not ignored in a git context\n")
    t.exists("/ctx/.dockerignore")
    t.file("/ctx/app/app.txt", "in the app subdirectory\n")
    t.absent("/ctx/.git")
