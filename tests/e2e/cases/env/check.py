def check(t):
    t.file("/env.txt", "2|two words|1-legacy form|1\n")
    t.equal("env A", t.env("A"), "2")
    t.equal("env B", t.env("B"), "two words")
    t.equal("env C", t.env("C"), "1-legacy form")
    t.equal("env D", t.env("D"), "1")
    t.contains("env PATH", t.env("PATH") or "", "/bin")
