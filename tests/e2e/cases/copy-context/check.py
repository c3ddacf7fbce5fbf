def check(t):
    t.file("/dst/a.txt", "file a\n")
    t.file("/copied-dir/b.txt", "file b\n")
    t.file("/copied-dir/sub/deep.txt", "deep\n")
    t.absent("/copied-dir/dir")
    t.file("/docs/one.md", "# one\n")
    t.file("/docs/two.md", "# two\n")
    t.file("/spaced/with space.txt", "space\n")
    t.file("/renamed.txt", "file a\n")
    # git keeps only the executable bit: 0755 and 0644 are the modes a clone has.
    t.mode("/copied-dir/b.txt", 0o755)
    t.mode("/dst/a.txt", 0o644)
    t.owner("/dst/a.txt", 0, 0)
