use super::*;

fn env(options: &[&str], extra: &[(&str, &str)]) -> Result<FrontendEnv, OptionsError> {
    let mut vars: Vec<(String, String)> = options
        .iter()
        .enumerate()
        .map(|(i, kv)| (format!("{OPTION_PREFIX}{i}"), (*kv).to_owned()))
        .collect();
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    FrontendEnv::from_vars(vars)
}

fn options(options: &[&str]) -> FrontendOptions {
    match env(options, &[]) {
        Ok(env) => env.options,
        Err(error) => panic!("unexpected error: {error}"),
    }
}

fn error(options: &[&str]) -> String {
    match env(options, &[]) {
        Ok(env) => panic!("expected an error, got {:?}", env.options),
        Err(error) => error.to_string(),
    }
}

#[test]
fn defaults() {
    let o = options(&[]);
    assert_eq!(o.filename, "Dockerfile");
    assert_eq!(o.context_key, "context");
    assert_eq!(o.dockerfile_key, "dockerfile");
    assert_eq!(o.target, None);
    assert_eq!(o.no_cache, NoCache::Off);
    assert!(!o.is_multi_platform());
    assert!(o.unknown.is_empty());
}

#[test]
fn docker_20_10_always_sent_options() {
    // dockerd sends these even when empty.
    let o = options(&["image-resolve-mode=default", "cache-from=", "add-hosts="]);
    assert_eq!(o.image_resolve_mode, ImageResolveMode::Default);
    assert!(o.cache_imports.is_empty());
    assert!(o.extra_hosts.is_empty());
    assert!(o.unknown.is_empty());
}

#[test]
fn split_on_first_equals_only() {
    let o = options(&["build-arg:A=x=y", "label:k=", "no-cache"]);
    assert_eq!(o.build_args["A"], "x=y");
    assert_eq!(o.labels["k"], "");
    assert_eq!(o.no_cache, NoCache::AllStages);
}

#[test]
fn typed_values() {
    let o = options(&[
        "target=build",
        "filename=sub/Dockerfile.dev",
        "platform=linux/amd64,linux/arm/v7",
        "no-cache=a,b",
        "image-resolve-mode=pull",
        "force-network-mode=none",
        "add-hosts=db=10.0.0.2",
        "hostname=box",
        "contextsubdir=app",
        "cmdline=ourorg/optimizer --x",
        "source=ourorg/optimizer",
        "frontend.caps=moby.buildkit.frontend.contexts+forward,moby.buildkit.frontend.inputs",
        "requestid=frontend.subrequests.describe",
        "build-arg:BUILDKIT_CACHE_MOUNT_NS=ns",
        "build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR=1",
        "shm-size=1024",
        "ulimit=nofile=10:20",
        "cgroup-parent=p",
        "memory=100",
        "cpusetcpus=0-1",
        "context:base=docker-image://alpine",
        "local-sessionid:context=other",
        "attest:sbom=",
        "something-new=1",
    ]);
    assert_eq!(o.target.as_deref(), Some("build"));
    assert_eq!(o.filename, "sub/Dockerfile.dev");
    let platforms: Vec<String> = o.platforms.iter().map(ToString::to_string).collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm/v7"]);
    assert!(o.is_multi_platform());
    assert_eq!(o.no_cache, NoCache::Stages(vec!["a".into(), "b".into()]));
    assert_eq!(o.image_resolve_mode, ImageResolveMode::Pull);
    assert_eq!(o.network_mode, NetworkMode::None);
    assert_eq!(o.extra_hosts[0].host, "db");
    assert_eq!(o.hostname.as_deref(), Some("box"));
    assert_eq!(o.context_subdir.as_deref(), Some("app"));
    assert_eq!(o.cmdline.as_deref(), Some("ourorg/optimizer --x"));
    assert_eq!(o.source.as_deref(), Some("ourorg/optimizer"));
    assert_eq!(
        o.frontend_caps,
        [
            RequestedCap {
                name: "moby.buildkit.frontend.contexts".into(),
                forward: true
            },
            RequestedCap {
                name: "moby.buildkit.frontend.inputs".into(),
                forward: false
            },
        ]
    );
    assert_eq!(
        o.request_id.as_deref(),
        Some("frontend.subrequests.describe")
    );
    assert_eq!(o.cache_mount_namespace.as_deref(), Some("ns"));
    assert!(o.context_keep_git_dir);
    assert_eq!(o.shm_size, Some(1024));
    assert_eq!(o.ulimits[0].hard, 20);
    assert_eq!(o.cgroup_parent.as_deref(), Some("p"));
    assert_eq!(o.resources.memory, Some(100));
    assert_eq!(o.resources.cpuset_cpus.as_deref(), Some("0-1"));
    assert_eq!(o.named_contexts["base"], "docker-image://alpine");
    assert_eq!(o.local_session_ids["context"], "other");
    assert!(o.attests.contains_key("sbom"));
    assert_eq!(o.unknown.keys().collect::<Vec<_>>(), ["something-new"]);
    assert_eq!(o.raw.len(), 24);
}

#[test]
fn cache_imports_then_cache_from() {
    let o = options(&[
        r#"cache-imports=[{"Type":"local","Attrs":{"src":"/c"}}]"#,
        "cache-from=reg/a:cache,reg/b:cache",
    ]);
    let kinds: Vec<&str> = o.cache_imports.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, ["local", "registry", "registry"]);
    assert_eq!(o.cache_imports[2].attrs["ref"], "reg/b:cache");
}

#[test]
fn remote_contexts() {
    let remote = |value: &str| options(&[&format!("context={value}")]).remote_context;
    assert_eq!(
        remote("git://h/r"),
        Some(RemoteContext::Git("git://h/r".into()))
    );
    assert_eq!(
        remote("github.com/a/b"),
        Some(RemoteContext::Git("github.com/a/b".into()))
    );
    assert_eq!(
        remote("https://h/r.git#main"),
        Some(RemoteContext::Git("https://h/r.git#main".into()))
    );
    assert_eq!(
        remote("http://build-context-xyz"),
        Some(RemoteContext::Http("http://build-context-xyz".into()))
    );
    assert_eq!(remote("somelocal"), None);
    // v0.8.3's `\.git(#.+)?$`: an empty fragment is not git; `.git` at the very end
    // or before a non-empty fragment is, wherever it sits.
    assert_eq!(
        remote("https://h/r.git#"),
        Some(RemoteContext::Http("https://h/r.git#".into()))
    );
    assert_eq!(
        remote("https://h/r#ref.git"),
        Some(RemoteContext::Git("https://h/r#ref.git".into()))
    );
    assert_eq!(
        remote("https://h/r.git?x=1"),
        Some(RemoteContext::Http("https://h/r.git?x=1".into()))
    );
    assert_eq!(
        remote("git@github.com:a/b.git"),
        Some(RemoteContext::Git("git@github.com:a/b.git".into()))
    );
    // The remote context is read under the renamed context key.
    let o = options(&["contextkey=ctx", "ctx=git://h/r", "context=git://ignored"]);
    assert_eq!(
        o.remote_context,
        Some(RemoteContext::Git("git://h/r".into()))
    );
}

#[test]
fn named_context_options() {
    let o = options(&[
        "context:base=docker-image://busybox",
        "context:src::linux/arm64=local:src",
        "input-metadata:in={}",
        "sharedkey:localdir:src=abc",
    ]);
    assert_eq!(o.named_contexts["base"], "docker-image://busybox");
    assert_eq!(o.named_contexts["src::linux/arm64"], "local:src");
    assert_eq!(o.input_metadata["in"], "{}");
    assert_eq!(o.shared_keys["src"], "abc");
    assert!(o.unknown.is_empty(), "{:?}", o.unknown);
}

#[test]
fn dockerfilekey_forces_local_dockerfile() {
    let o = options(&["dockerfilekey=df2", "contextkey=ctx2"]);
    assert_eq!(o.dockerfile_key, "df2");
    assert_eq!(o.context_key, "ctx2");
    assert!(o.force_local_dockerfile);
}

#[test]
fn multi_platform_flags() {
    assert!(options(&["multi-platform=true"]).is_multi_platform());
    assert!(!options(&["multi-platform=false", "platform=linux/amd64"]).is_multi_platform());
    assert!(options(&["build-arg:BUILDKIT_MULTI_PLATFORM=1"]).is_multi_platform());
    assert!(
        error(&["multi-platform=false", "platform=linux/amd64,linux/arm64"])
            .contains("more than one target platform")
    );
    assert!(error(&["multi-platform=maybe"]).contains("invalid boolean value for multi-platform"));
}

#[test]
fn sandbox_hostname_build_arg_wins() {
    let o = options(&["hostname=a", "build-arg:BUILDKIT_SANDBOX_HOSTNAME=b"]);
    assert_eq!(o.hostname.as_deref(), Some("b"));
}

#[test]
fn bad_values_are_clear_errors() {
    assert_eq!(
        error(&["image-resolve-mode=x"]),
        r#"invalid image-resolve-mode "x" (want default, pull or local)"#
    );
    assert!(
        error(&["force-network-mode=bridge"]).starts_with(r#"invalid force-network-mode "bridge""#)
    );
    assert_eq!(
        error(&["add-hosts=db"]),
        "failed to parse additional hosts: invalid key-value pair db"
    );
    assert!(error(&["platform=linux/amd64,"]).starts_with("failed to parse target platform :"));
    assert!(error(&["cache-imports={"]).starts_with("failed to parse cache-imports"));
    assert!(error(&["shm-size=big"]).starts_with(r#"invalid shm-size "big""#));
    assert!(error(&["memory=0"]).contains("must be > 0"));
    assert!(error(&["memswap=0"]).contains("-1 (unlimited)"));
    assert!(error(&["cpusetmems=x"]).starts_with(r#"invalid cpusetmems "x""#));
    assert!(error(&["ulimit=nofile=a"]).starts_with("invalid ulimit"));
}

#[test]
fn session_workers_product() {
    let workers = r#"[{"ID":"w0","Labels":{"a":"b"},"Platforms":[{"architecture":"arm64","os":"linux","variant":"v8"},{"architecture":"amd64","os":"linux"}]}]"#;
    let env = match env(
        &[],
        &[
            ("BUILDKIT_SESSION_ID", "sid123"),
            ("BUILDKIT_WORKERS", workers),
            ("BUILDKIT_EXPORTEDPRODUCT", "Docker"),
            ("PATH", "/bin"),
        ],
    ) {
        Ok(env) => env,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(env.session_id, "sid123");
    assert_eq!(env.product, "Docker");
    assert_eq!(env.workers[0].id, "w0");
    // First worker's first platform, normalized (arm64/v8 -> arm64).
    assert_eq!(env.build_platform.to_string(), "linux/arm64");
}

#[test]
fn missing_or_null_workers_default_to_host() {
    for extra in [
        &[][..],
        &[("BUILDKIT_WORKERS", "null")][..],
        &[("BUILDKIT_WORKERS", "[]")][..],
    ] {
        let env = env(&[], extra).map_err(|e| e.to_string());
        assert_eq!(env.map(|e| e.build_platform), Ok(crate::platform::host()));
    }
    let bad = env(&[], &[("BUILDKIT_WORKERS", "{")])
        .map(|_| ())
        .map_err(|e| e.to_string());
    assert!(bad.unwrap_err().starts_with("invalid BUILDKIT_WORKERS"));
}
