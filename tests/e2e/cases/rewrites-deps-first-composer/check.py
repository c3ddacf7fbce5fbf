def check(t):
    t.contains("/hello.txt", t.read("/hello.txt"), "hello from composer")
    t.exists("/app/vendor/autoload.php")
