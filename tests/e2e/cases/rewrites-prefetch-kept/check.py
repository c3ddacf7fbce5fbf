def check(t):
    t.exists("/app/node_modules/left-pad/package.json")
