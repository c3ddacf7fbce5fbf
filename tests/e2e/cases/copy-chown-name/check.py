def check(t):
    t.owner("/by-names.txt", 2000, 2001)
    # A user without a group takes its primary group from /etc/passwd.
    t.owner("/by-user.txt", 2000, 2001)
    t.owner("/owned-dir", 2000, 3000)
    t.owner("/owned-dir/inner.txt", 2000, 3000)
    t.owner("/mixed.txt", 2000, 3000)
    t.file("/tmp/uid.txt", "2000\n")
    # Docker 20.10's frontend creates WORKDIR as the current USER.
    t.file("/tmp/workdir-owner.txt", "2000:2001 755\n2000:2001 755\n")
    t.file("/relative-owner.txt", "2000:2001\n")
    t.owner("/home/app/work", 2000, 2001)
    t.equal("WorkingDir", t.config.get("WorkingDir"), "/home/app/work/relative")
    t.equal("User", t.config.get("User"), "root")
