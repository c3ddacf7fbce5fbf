def check(t):
    t.exists("/app/vendor/psr/log/src/LoggerInterface.php")
