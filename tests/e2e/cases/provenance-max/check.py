import json
import os


def check(out):
    archive = os.path.join(out.work, "out.tar")
    (top,) = out.oci_index(archive)["manifests"]
    manifests = out.oci_blob(archive, top["digest"])["manifests"]
    attestations = [m for m in manifests if m.get("annotations", {}).get("vnd.docker.reference.type") == "attestation-manifest"]
    if len(attestations) != 1:
        out.fail(f"expected one attestation manifest, got {len(attestations)}")
    layers = out.oci_blob(archive, attestations[0]["digest"])["layers"]
    provenance = [l for l in layers if l.get("annotations", {}).get("in-toto.io/predicate-type", "").startswith("https://slsa.dev/provenance/")]
    if not provenance:
        out.fail("no SLSA provenance layer")
    statement = out.oci_blob(archive, provenance[0]["digest"])
    text = json.dumps(statement)
    # mode=max records the LLB of the build and the frontend that made it.
    if "llbDefinition" not in text:
        out.fail("the provenance has no llbDefinition (mode=max)")
    if "ourorg/optimizer" not in text:
        out.fail("the provenance does not name the dfopt frontend image")
    if "echo provenance" not in text:
        out.fail("the provenance's LLB lacks the RUN step")
