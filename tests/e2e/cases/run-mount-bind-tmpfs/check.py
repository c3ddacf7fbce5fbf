def check(t):
    t.file("/copied.txt", "artifact\n")
    t.file("/from-context.txt", "from the context\n")
    t.file("/tmpfs-listing.txt", "t\n")
    t.absent("/input.txt")
