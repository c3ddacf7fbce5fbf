def check(t):
    t.exists("/usr/local/bundle/gems/hello-1.0.0/lib/hello.rb")
    t.contains("hello.txt", t.read("/hello.txt"), "hi")
