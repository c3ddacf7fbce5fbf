def check(t):
    t.exists("/app/vendor/dfopt/hello/src/Hi.php")
    t.contains("hello.txt", t.read("/hello.txt"), "hi")
