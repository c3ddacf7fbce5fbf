def check(t):
    ports = sorted((t.config.get("ExposedPorts") or {}).keys())
    t.equal("ExposedPorts", ports, ["443/udp", "80/tcp", "8080/tcp", "9000/tcp", "9001/tcp"])
