//! Parity with Docker 20.10's own Dockerfile frontend, recorded from real builds.
//!
//! The Dockerfiles under `tests/fixtures/docker20.10/` were built with
//! `DOCKER_BUILDKIT=1 docker build --progress=plain` on Docker 20.10.24 (BuildKit
//! v0.8 built in, the project's e2e daemon), with the e2e `busybox:latest` and two
//! images built from it (`images/e2e-*.json`; `e2e-empty.json` was written by hand
//! because Docker cannot `save` an image without layers). The expected values below
//! are the vertex digests `--progress=plain` printed, i.e. sha256 of the op bytes
//! the Go frontend produced, and the image configs `docker save` exported.
//!
//! Identical digests mean byte-identical ops, hence identical cache keys: these
//! builds through dfopt are fully CACHED after a build through Docker's frontend.
//! Ops that read the build context are left out (their digest contains the CLI's
//! random session id).

mod common;

use std::collections::BTreeMap;
use std::fs;

use dfopt_convert::{convert, images_to_resolve, ResolvedImage};

fn fixture(name: &str) -> String {
    fs::read_to_string(common::fixtures().join("docker20.10").join(name)).expect("fixture")
}

fn image(name: &str) -> Vec<u8> {
    fs::read(common::fixtures().join("images").join(name)).expect("image fixture")
}

/// Converts with the e2e images (none pinned: Docker's local store has no digests).
fn convert_e2e(source: &str, build_args: &[(&str, &str)]) -> dfopt_convert::Converted {
    convert_e2e_with(source, |opts| {
        for (k, v) in build_args {
            opts.build_args.insert((*k).to_owned(), (*v).to_owned());
        }
    })
}

fn convert_e2e_with(
    source: &str,
    tweak: impl FnOnce(&mut dfopt_convert::ConvertOptions),
) -> dfopt_convert::Converted {
    let mut opts = common::default_opts();
    tweak(&mut opts);
    let requests = images_to_resolve(source, &opts).expect("requests");
    let images: BTreeMap<String, ResolvedImage> = requests
        .iter()
        .map(|r| {
            let file = match r.reference.as_str() {
                "docker.io/dfopt-convert-check/onb:1" => "e2e-onb.json",
                "docker.io/dfopt-convert-check/empty:1" => "e2e-empty.json",
                _ => "e2e-busybox.json",
            };
            (
                r.key.clone(),
                ResolvedImage {
                    digest: None,
                    config: image(file),
                },
            )
        })
        .collect();
    convert(source, &opts, &images).expect("conversion")
}

/// `(vertex name, digest)` of every op that has a name, in definition order.
fn named_digests(converted: &dfopt_convert::Converted) -> Vec<(String, String)> {
    let def = &converted.definition;
    def.def
        .iter()
        .filter_map(|bytes| {
            let dgst = dfopt_llb::digest(bytes);
            let name = def
                .metadata
                .get(&dgst)
                .and_then(|m| m.description.get("llb.customname"))?
                .clone();
            Some((name, dgst))
        })
        .collect()
}

/// Asserts that every `(name, digest)` Docker printed is produced, with that name.
fn assert_vertices(converted: &dfopt_convert::Converted, expected: &[(&str, &str)]) {
    let got = named_digests(converted);
    for (name, digest) in expected {
        let digest = format!("sha256:{digest}");
        match got.iter().find(|(_, d)| *d == digest) {
            Some((n, _)) => assert_eq!(n, name, "name of {digest}"),
            None => panic!("no op with digest {digest} ({name}); got:\n{got:#?}"),
        }
    }
}

/// Compares our image config with what `docker save` exported: `config`, `author`
/// and each history entry's `created_by`/`comment`/`empty_layer` (the exporter adds
/// `created` times and `rootfs`).
fn assert_image(converted: &dfopt_convert::Converted, expected_file: &str) {
    let ours: serde_json::Value =
        serde_json::from_slice(&converted.image_config).expect("our JSON");
    let expected: serde_json::Value =
        serde_json::from_str(&fixture(expected_file)).expect("expected JSON");
    assert_eq!(ours["config"], expected["config"], "config");
    assert_eq!(ours.get("author"), expected.get("author"), "author");
    let history: Vec<serde_json::Value> = ours["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| {
            let mut o = serde_json::Map::new();
            for k in ["created_by", "comment", "empty_layer"] {
                if let Some(v) = h.get(k) {
                    o.insert(k.to_owned(), v.clone());
                }
            }
            serde_json::Value::Object(o)
        })
        .collect();
    assert_eq!(
        serde_json::Value::Array(history),
        expected["history"],
        "history"
    );
}

#[test]
fn base_image_and_workdir() {
    let c = convert_e2e(&fixture("basic.Dockerfile"), &[]);
    assert_vertices(
        &c,
        &[
            (
                "[1/4] FROM docker.io/library/busybox",
                "08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e",
            ),
            (
                "[2/4] WORKDIR /app",
                "ad8dbe728fbd9e06309ca4aa7d2c01b24d34573c11d8b3e433f1d822003dc81d",
            ),
        ],
    );
}

#[test]
fn mounts_copies_and_config() {
    let c = convert_e2e(&fixture("p1.Dockerfile"), &[]);
    assert_vertices(
        &c,
        &[
            ("[base 1/6] FROM docker.io/library/busybox", "08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e"),
            ("[base 2/6] WORKDIR /w", "d79934d5cb7e6dee0ea66bbda200b9692658270e67032bfab807f59570b7307a"),
            ("[base 3/6] RUN echo argval > /w/x", "9cecfefc114e826b081f2293fe5597e09f4993c52bb9ff7c37f50e60a50711aa"),
            (
                "[base 4/6] RUN --mount=type=cache,target=/c --mount=type=cache,id=shared,target=/d,sharing=locked --mount=type=tmpfs,target=/t echo cache",
                "f8eef4e123c3fafa66c3da672b85551d0ae6f8bec34f182939e128627f867bff",
            ),
            ("[base 5/6] RUN --mount=type=secret,id=s --mount=type=ssh true", "bd2fad5dcfacb60551970588163a93ba256db24ff308f4b081be148a2647cf16"),
            ("[internal] settings cache mount permissions", "cda66f7fc062c81eba1e0f4b6cfae3ea33164c8c1cca977b2a17e580eb973d07"),
            (
                "[base 6/6] RUN --mount=type=cache,target=/c2/,uid=1000,gid=1000,mode=0700 true",
                "3dc9b83c933402d237c808a65f7e3193290be23d94491be03dad4150673462ea",
            ),
            ("[stage-1 2/5] COPY --from=base /w /w", "892fe366824a30d89abd4c2bab558e25023431114d6eed3c39c925dc50af0bc2"),
            ("[stage-1 3/5] COPY --from=base --chown=1000:1000 /etc/passwd /p", "8bdb9bd78f6732deebc92e4249efb9f1412eb1803cb79f1476545cb18264ed93"),
            ("[stage-1 4/5] COPY --from=base --chmod=0644 /w/x /x", "e10692de135e16c51b0b9b3b74705784e4976e12b3562c66ae288e9e677ac6b0"),
            ("[stage-1 5/5] RUN [\"echo\", \"exec\"]", "390bfaad9d5c4644f0bf859366ac64d3215983feaa02dbef74d74c3f879f6853"),
        ],
    );
    assert_image(&c, "p1.image.json");
}

#[test]
fn workdirs_args_onbuild_and_shared_labels() {
    let c = convert_e2e(&fixture("p2.Dockerfile"), &[("B", "cli")]);
    assert_vertices(
        &c,
        &[
            (
                "[base 2/5] WORKDIR rel/",
                "3d3ca6665e3e6cbe102aff6ffdaeb372661af4682ac7dd9f341198a3a2bfe460",
            ),
            (
                "[base 3/5] WORKDIR //abs/./x/",
                "8862b15f7536235d10ad80aa9bbb061d011ec19d9cfc7abcc8ebfb4d81ff5a7e",
            ),
            (
                "[base 4/5] RUN echo again cli",
                "298ae1d77857d675eb261dbaf83ea9f2968b2dff791efbf3dd5bb60e28f81fa6",
            ),
            (
                "[helper 1/1] RUN echo onbuild-trigger",
                "d8f9e0058c54c9a09239a53a0959dd0da70f24fd5d35dc30d20a6ecb307b7e6a",
            ),
            (
                "[helper 2/1] RUN echo helper",
                "c2061a60cb998c652a78633d015f6c584053733836c0355c5a2b69e103b2a56b",
            ),
            (
                "[stage-3 2/3] COPY --from=helper /bin/busybox /h",
                "060d87aa1f952b9c549907d70d67905ebad39dfdd3180d50feaa897ca6d0f7e4",
            ),
            (
                "[data 1/1] COPY --from=busybox:latest /bin/busybox /bb",
                "35dce04a7231e105ed84260efb0d5300498ace29dee30b50ff6c7ec24da3a040",
            ),
            (
                "[stage-3 3/3] COPY --from=data /bb /bb2",
                "2fdc372294d835c203c358ddfb291344b52a20494fd8c4f2ddad1990eb95883b",
            ),
            (
                "[stage-3 4/3] RUN echo shell",
                "3640ad4c6731c4e0bea561597a6e3fb42a05959eab930df34c61b67285fcad70",
            ),
        ],
    );
    assert_image(&c, "p2.image.json");
}

#[test]
fn mounts_from_stages_and_images() {
    let c = convert_e2e(&fixture("p3.Dockerfile"), &[]);
    assert_vertices(
        &c,
        &[
            ("FROM docker.io/library/busybox:latest", "08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e"),
            ("[src 2/3] RUN --mount=type=bind,target=/mnt,from=busybox:latest,source=/bin ls /mnt", "a758fd4037aa65fc1e691bbd44fb36b7715f4ead6350a3105ff1b7a0cc551888"),
            ("[src 3/3] WORKDIR /out", "de2f89d08bb6b40875665f48becd793c0e22af1551aa4b12e9baae84ca467e14"),
            (
                "[stage-1 2/3] RUN --mount=type=bind,from=src,source=/out,target=/in,rw --mount=type=cache,from=src,source=/out,target=/cache,sharing=private --mount=type=secret,id=token,target=/t,mode=0444,uid=1 --mount=type=ssh,id=agent,target=/agent,mode=0666 echo \"linux/amd64\" linux/amd64",
                "71c7a00ed9043dc7e4dcd40d0056c4c6569511779880218b29072eadba666b30",
            ),
            ("[stage-1 3/3] COPY --from=0 /out /out", "cd99df09639db435f318e9930a655b516c82ad95bb2fbfd8b91e351ddf1b8924"),
        ],
    );
    assert_image(&c, "p3.image.json");
}

#[test]
fn base_image_triggers_and_layerless_bases() {
    let c = convert_e2e(&fixture("p4.Dockerfile"), &[]);
    assert_vertices(
        &c,
        &[
            (
                "[o 1/2] FROM docker.io/dfopt-convert-check/onb:1",
                "01acfa688ab3f667688c62c39661cb8d306a1f090a38f0ddc8b48bf23fb1cb52",
            ),
            (
                "[o 2/2] RUN echo trig",
                "04c70913c643a6418cbcc38213f403f46bd0dcda9a8e42bcefd9d31dcba3fb04",
            ),
            (
                "[o 3/2] RUN echo 1",
                "cdfd69b9a52647a335c8257be59b30c8350c8aaf7614b55f62d7b7fda0a07c72",
            ),
            (
                "[e 1/2] COPY --from=o /app /app",
                "407695e42c22b86f813bace4d6b81588cea520ea50a9be47e42f3e9e988ea0af",
            ),
            (
                "[stage-2 1/1] COPY --from=e /app /app2",
                "2a465905424c33a2c9f930576f6cd8d56ce59050337e71dde727037e45a76661",
            ),
        ],
    );
}

/// `docker build --add-host db:10.0.0.5 --label cli=1 --target final
/// --platform linux/amd64 --build-arg HTTP_PROXY=http://p:3128`.
#[test]
fn cli_options() {
    let c = convert_e2e_with(&fixture("p5.Dockerfile"), |opts| {
        opts.extra_hosts
            .push(("db".to_owned(), "10.0.0.5".to_owned()));
        opts.labels.insert("cli".to_owned(), "1".to_owned());
        opts.target = Some("final".to_owned());
        opts.target_platform = Some(common::amd64());
        opts.build_args
            .insert("HTTP_PROXY".to_owned(), "http://p:3128".to_owned());
    });
    assert_vertices(
        &c,
        &[
            (
                "[unused 1/2] FROM docker.io/library/busybox",
                "08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e",
            ),
            (
                "[final 2/4] WORKDIR /srv",
                "14feceb96c07aa03b79076afa4b58ce088cc1261ebb6ea2ea9cfb9a7aafeb7c1",
            ),
            (
                "[final 3/4] RUN echo \"a b\" 'c' $UNSET ${X:-d} 8080 >/dev/null",
                "b56d3a838f367ec66226649ca164b2323d3bd625e4ae2ac44b49f26711b20f09",
            ),
            (
                "[unused 2/2] RUN echo unused",
                "c515e7231e1e376da1d47e689a490836545a340ab0cf0df973d809fbb870ea60",
            ),
            (
                "[final 4/4] COPY --from=unused /bin/busybox /srv/bb",
                "2857e2744c57be4acd4b6134ce265369b813dde481d3c7b276e785881117066a",
            ),
        ],
    );
    assert_image(&c, "p5.image.json");
}

/// Relative mount targets (a relative secret target stays relative), named owners on
/// chained copies, wildcards, quoting in names, history and config JSON.
#[test]
fn relative_targets_names_and_quoting() {
    let c = convert_e2e(&fixture("p6.Dockerfile"), &[]);
    assert_vertices(
        &c,
        &[
            ("[stage-1 2/4] WORKDIR /x/a b", "c7385f97721e893dd59cff4599d64b77f139078d85c5ac1f576b4874167147e1"),
            ("[base 2/4] WORKDIR /w", "d79934d5cb7e6dee0ea66bbda200b9692658270e67032bfab807f59570b7307a"),
            (
                "[base 3/4] RUN --mount=type=cache,target=rel --mount=type=secret,id=x,target=rel/secret --mount=type=bind,target=relbind,from=busybox echo rel",
                "5b26eaebb18db9f829ad81cadde9a3c4f58f94d1642b6d7bbdfc2b6dd8df048c",
            ),
            ("[base 4/4] WORKDIR /named", "ea556c901a61e37313507bafe88c689852145121b855f45f9ade0617e324c2da"),
            (
                "[stage-1 3/4] COPY --from=base --chown=nobody:nogroup /bin/sh /bin/ls /dst/",
                "ab5da5248459b237b8f1d5bb6ae1d477ce4bd69315339106c4020388cb15ec0b",
            ),
            ("[stage-1 4/4] COPY --from=base /bin/s* /glob/", "2d4efa8e906ce59f0db3700381b72244e98d20aaa46b48237e46e2304b1f1d8d"),
        ],
    );
    assert_image(&c, "p6.image.json");
}
