def check(t):
    # dfopt's rules never make `# check=error=true` fail the check.
    if "lint violation found" in t.log:
        t.fail("dfopt's cache rules counted for check=error=true")
    # `# check=skip=MissingCacheMount` turned that rule off.
    if "MissingCacheMount" in t.log:
        t.fail("a skipped rule was reported")
