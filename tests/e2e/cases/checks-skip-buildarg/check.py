def check(t):
    # The build-arg replaced `# check=skip=JSONArgsRecommended`: only what it skips is gone.
    for rule in ("FromAsCasing", "MaintainerDeprecated"):
        if rule in t.log:
            t.fail(f"{rule} was skipped by BUILDKIT_DOCKERFILE_CHECK but reported")
