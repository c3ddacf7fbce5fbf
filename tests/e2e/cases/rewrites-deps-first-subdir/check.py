def check(t):
    t.contains("requirements/prod.txt", t.read("/srv/app/requirements/prod.txt"), "six==1.16.0")
    t.contains("requirements/dev.txt", t.read("/srv/app/requirements/dev.txt"), "pytest")
    t.exists("/usr/local/lib/python3.11/dist-packages/dateutil/parser/__init__.py")
    t.exists("/usr/local/lib/python3.11/dist-packages/six.py")
