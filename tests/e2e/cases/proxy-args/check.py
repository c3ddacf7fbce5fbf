def check(t):
    # Proxy build-args reach RUN without an ARG, but stay out of the image
    # config and of history (and so of the cache key) unless declared: a
    # declared ARG is recorded like any other.
    t.file("/proxy", "proxy=[http://proxy.invalid:3128] no=[localhost]\n")
    t.file("/declared", "declared=[http://secure.invalid:3128]\n")
    for var in t.config.get("Env") or []:
        if "proxy" in var.lower():
            t.fail(f"proxy variable in the image env: {var}")
    for entry in t.history():
        if "proxy.invalid" in (entry.get("CreatedBy") or ""):
            t.fail(f"proxy value in history: {entry.get('CreatedBy')}")
