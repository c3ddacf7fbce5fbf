//! `State::marshal_replacing`: a graph built on a placeholder marshals exactly like the
//! same graph built on the replacement.

mod common;

use dfopt_llb::encode_definition;
use dfopt_llb::prelude::*;

/// A context with or without follow paths.
fn context(follow: Option<&[&str]>) -> State {
    let mut local = Local::new("context")
        .unwrap_or_else(|e| panic!("{e}"))
        .session("sid")
        .shared_key_hint("context")
        .custom_name("[internal] load build context");
    if let Some(paths) = follow {
        local = local.follow_paths(paths.iter().copied());
    }
    local.build()
}

/// Two stages reading the context (a copy and a bind mount), the second copying from
/// the first.
fn graph(context: &State) -> Result<State, Error> {
    let base = Image::new("busybox")?
        .platform(Platform::new("linux", "amd64"))
        .build();
    let first = base
        .file()
        .copy(FileCopy::new(context, "/src", "/app/").dockerfile_defaults())
        .custom_name("COPY src /app/")
        .build()?;
    let built = first
        .run(["/bin/sh", "-c", "make"])
        .mount(BindMount::new("/ctx", context).readonly(true))
        .custom_name("RUN make")
        .build()?
        .root();
    base.file()
        .copy(FileCopy::new(&built, "/app/out", "/out").dockerfile_defaults())
        .copy(FileCopy::new(context, "/README", "/README").dockerfile_defaults())
        .custom_name("COPY --from=first")
        .build()
}

#[test]
fn replacement_marshals_like_a_graph_built_on_it() {
    let caps = CapSet::buildkit_v0_8();
    let placeholder = context(None);
    let actual = context(Some(&["README", "src"]));
    let on_placeholder = graph(&placeholder).unwrap_or_else(|e| panic!("{e}"));
    let on_actual = graph(&actual).unwrap_or_else(|e| panic!("{e}"));
    let (Some(p), Some(a)) = (placeholder.output(), actual.output()) else {
        panic!("contexts are not scratch");
    };
    let replaced = on_placeholder
        .marshal_replacing(&caps, p, a)
        .unwrap_or_else(|e| panic!("{e}"));
    let expected = common::marshal(&on_actual, &caps);
    assert_eq!(encode_definition(&replaced), encode_definition(&expected));
    // The placeholder itself is gone: only one local source is emitted.
    let text = dump(&replaced);
    assert_eq!(text.matches("local://context").count(), 1, "{text}");
    assert!(text.contains("followpaths"), "{text}");
    // Without a replacement the placeholder graph marshals as built.
    assert_ne!(
        encode_definition(&common::marshal(&on_placeholder, &caps)),
        encode_definition(&expected)
    );
}
