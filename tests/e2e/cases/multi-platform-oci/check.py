import os


def check(out):
    archive = os.path.join(out.work, "out.tar")
    index = out.oci_index(archive)
    (image_index,) = index["manifests"]
    manifests = out.oci_blob(archive, image_index["digest"])["manifests"]
    platforms = sorted(f'{m["platform"]["os"]}/{m["platform"]["architecture"]}' for m in manifests)
    if platforms != ["linux/amd64", "linux/arm64"]:
        out.fail(f"platforms {platforms}")
    for m in manifests:
        manifest = out.oci_blob(archive, m["digest"])
        config = out.oci_blob(archive, manifest["config"]["digest"])
        want = f'{m["platform"]["os"]}/{m["platform"]["architecture"]}'
        if f"BUILT_FOR={want}" not in config["config"]["Env"]:
            out.fail(f"{want}: env {config['config']['Env']}")
        if config["config"].get("WorkingDir") != "/app":
            out.fail(f"{want}: WorkingDir {config['config'].get('WorkingDir')}")
