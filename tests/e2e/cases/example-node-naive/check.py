def check(t):
    t.exists("/app/server.js")
    t.exists("/app/node_modules/express/package.json")
    t.absent("/root/.npm/_cacache")
