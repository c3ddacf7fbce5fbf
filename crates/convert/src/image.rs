//! The image config, as BuildKit v0.8.3's Dockerfile frontend models it
//! (`dockerfile2llb.Image`: OCI image-spec v1.0.1 `Image` plus Docker's extra config
//! fields), read from base images and written as `containerimage.config`.
//!
//! BuildKit v0.25's frontend ([`Dialect::BuildKitV0_25`]) models it as
//! `dockerspec.DockerOCIImage` instead (image-spec v1.1 `Image` with Docker's config
//! extension): `ArgsEscaped` comes before `Healthcheck`, `OnBuild` is `omitempty`,
//! `StopTimeout` is not a field (dropped from base images), `Healthcheck` knows
//! `StartInterval`, and the platform fields come before `rootfs`. The exporter re-encodes
//! the top-level object as a map but keeps `config`'s bytes, so its field order is
//! part of the image id.
//!
//! Go details reproduced on purpose:
//! * JSON field order and `omitempty` rules of the Go structs (`OnBuild` has no
//!   `omitempty`, so it is written as `null`; `rootfs.diff_ids` likewise);
//! * fields the struct does not know (`container_config`, `os.version`, …) are dropped;
//! * history `created` times are re-encoded as RFC 3339 with nanoseconds, trailing
//!   zeros trimmed and a zero offset written `Z`;
//! * `Labels`, `ExposedPorts` and `Volumes` are Go maps, i.e. references: a stage
//!   built `FROM` another stage shares them with it, so a `LABEL` in one stage shows
//!   up in every other stage derived from the same parent (see [`SharedMap`]).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use dfopt_dockerfile::stages::builtin_args::default_path;

use crate::dialect::Dialect;
use crate::gojson::{self, match_field, type_error, JValue, Member, Writer};

/// A Go map field: `None` is a nil map; clones share the map, as Go's do.
#[derive(Debug, Clone, Default)]
pub(crate) struct SharedMap<V> {
    inner: Option<Rc<RefCell<BTreeMap<String, V>>>>,
}

impl<V: Clone> SharedMap<V> {
    #[cfg(test)]
    pub(crate) fn is_nil(&self) -> bool {
        self.inner.is_none()
    }

    /// `if m == nil { m = make(map) }`.
    pub(crate) fn make_if_nil(&mut self) {
        if self.inner.is_none() {
            self.inner = Some(Rc::new(RefCell::new(BTreeMap::new())));
        }
    }

    /// `m[k] = v` (the map must not be nil).
    pub(crate) fn insert(&mut self, key: String, value: V) {
        self.make_if_nil();
        if let Some(map) = &self.inner {
            map.borrow_mut().insert(key, value);
        }
    }

    #[cfg(test)]
    pub(crate) fn snapshot(&self) -> BTreeMap<String, V> {
        self.inner
            .as_ref()
            .map(|m| m.borrow().clone())
            .unwrap_or_default()
    }

    /// The map if it is neither nil nor empty (what `omitempty` writes).
    fn non_empty(&self) -> Option<std::cell::Ref<'_, BTreeMap<String, V>>> {
        let map = self.inner.as_ref()?.borrow();
        (!map.is_empty()).then_some(map)
    }

    /// A copy that shares nothing with `self` (a map decoded anew).
    fn detached(&self) -> Self {
        Self {
            inner: self
                .inner
                .as_ref()
                .map(|m| Rc::new(RefCell::new(m.borrow().clone()))),
        }
    }

    fn from_map(map: BTreeMap<String, V>) -> Self {
        Self {
            inner: Some(Rc::new(RefCell::new(map))),
        }
    }
}

/// `HealthConfig` (durations in nanoseconds). `start_interval` is newer than v0.8.3
/// and only written when a Dockerfile sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Health {
    pub(crate) test: Vec<String>,
    pub(crate) interval: i64,
    pub(crate) timeout: i64,
    pub(crate) start_period: i64,
    pub(crate) start_interval: i64,
    pub(crate) retries: i64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    pub(crate) user: String,
    pub(crate) exposed_ports: SharedMap<()>,
    pub(crate) env: Vec<String>,
    pub(crate) entrypoint: Vec<String>,
    pub(crate) cmd: Vec<String>,
    pub(crate) volumes: SharedMap<()>,
    pub(crate) working_dir: String,
    pub(crate) labels: SharedMap<String>,
    pub(crate) stop_signal: String,
    pub(crate) healthcheck: Option<Health>,
    pub(crate) args_escaped: bool,
    /// `None` is Go's nil slice, written as `null`.
    pub(crate) on_build: Option<Vec<String>>,
    pub(crate) stop_timeout: Option<i64>,
    pub(crate) shell: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct History {
    /// Already in Go's output form.
    pub(crate) created: Option<String>,
    pub(crate) created_by: String,
    pub(crate) author: String,
    /// Borrowed for the entries the frontend writes (one per instruction).
    pub(crate) comment: Cow<'static, str>,
    pub(crate) empty_layer: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Image {
    pub(crate) created: Option<String>,
    pub(crate) author: String,
    pub(crate) architecture: String,
    pub(crate) os: String,
    pub(crate) config: Config,
    pub(crate) rootfs_type: String,
    /// `None` is a nil slice (written `null`).
    pub(crate) diff_ids: Option<Vec<String>>,
    pub(crate) history: Vec<History>,
    pub(crate) variant: String,
}

impl Image {
    /// `emptyImage(platform)`: the config of `FROM scratch`.
    pub(crate) fn empty(os: &str, architecture: &str, variant: &str) -> Self {
        Image {
            architecture: architecture.to_owned(),
            os: os.to_owned(),
            variant: variant.to_owned(),
            rootfs_type: "layers".to_owned(),
            config: Config {
                working_dir: "/".to_owned(),
                env: vec![format!("PATH={}", default_path(os))],
                ..Config::default()
            },
            ..Image::default()
        }
    }

    /// `clone()`: slices copied, maps shared (Go semantics).
    pub(crate) fn clone_for_stage(&self) -> Self {
        self.clone()
    }

    /// A copy sharing no map with `self`: what decoding the same config again gives.
    pub(crate) fn detached_clone(&self) -> Self {
        let mut image = self.clone();
        let config = &mut image.config;
        config.exposed_ports = config.exposed_ports.detached();
        config.volumes = config.volumes.detached();
        config.labels = config.labels.detached();
        image
    }

    /// Whether the image has no layers (`FROM` such an image is `FROM scratch`):
    /// no diff ids and no history entry that made a layer.
    pub(crate) fn has_no_layers(&self) -> bool {
        !matches!(&self.diff_ids, Some(ids) if !ids.is_empty())
            && self.history.iter().all(|h| h.empty_layer)
    }

    /// Appends a history entry (`commitToHistory`).
    pub(crate) fn commit(&mut self, mut created_by: String, with_layer: bool, buildkit: bool) {
        if buildkit {
            created_by.push_str(" # buildkit");
        }
        self.history.push(History {
            created: None,
            created_by,
            author: String::new(),
            comment: Cow::Borrowed("buildkit.dockerfile.v0"),
            empty_layer: !with_layer,
        });
    }

    /// Decodes an image config as `json.Unmarshal` into `dockerfile2llb.Image` does: the
    /// document as a [`JValue`] tree first, then the typed image from it.
    #[cfg(test)]
    pub(crate) fn parse(bytes: &[u8]) -> Result<Image, String> {
        Self::parse_as(bytes, Dialect::BuildKitV0_8)
    }

    /// [`Image::parse`] into the struct of `dialect`'s frontend.
    pub(crate) fn parse_as(bytes: &[u8], dialect: Dialect) -> Result<Image, String> {
        let value = gojson::parse(bytes)?;
        let mut image = Image::default();
        decode_image(&value, &mut image, dialect)?;
        Ok(image)
    }

    /// `json.Marshal(img)` of v0.8's struct.
    #[cfg(test)]
    pub(crate) fn to_json(&self) -> Result<String, String> {
        self.to_json_as(Dialect::BuildKitV0_8)
    }

    /// `json.Marshal(img)` of `dialect`'s struct.
    pub(crate) fn to_json_as(&self, dialect: Dialect) -> Result<String, String> {
        if !dialect.is_v0_8() {
            return Ok(self.to_json_v0_25());
        }
        let mut w = Writer::with_capacity(self.json_len_estimate());
        let mut o = Object::open(&mut w);
        if let Some(created) = &self.created {
            o.field(&mut w, "created");
            w.string(created);
        }
        if !self.author.is_empty() {
            o.field(&mut w, "author");
            w.string(&self.author);
        }
        o.field(&mut w, "architecture");
        w.string(&self.architecture);
        o.field(&mut w, "os");
        w.string(&self.os);
        self.write_rootfs_and_history(&mut w, &mut o);
        o.field(&mut w, "config");
        write_config(&mut w, &self.config, Dialect::BuildKitV0_8);
        if !self.variant.is_empty() {
            o.field(&mut w, "variant");
            w.string(&self.variant);
        }
        w.raw("}");
        Ok(w.finish())
    }

    /// The `rootfs` and `history` fields, which both encodings write alike.
    fn write_rootfs_and_history(&self, w: &mut Writer, o: &mut Object) {
        o.field(w, "rootfs");
        w.raw("{\"type\":");
        w.string(&self.rootfs_type);
        w.raw(",\"diff_ids\":");
        match &self.diff_ids {
            None => w.raw("null"),
            Some(ids) => w.string_array(ids),
        }
        w.raw("}");
        if !self.history.is_empty() {
            o.field(w, "history");
            w.raw("[");
            for (i, h) in self.history.iter().enumerate() {
                if i > 0 {
                    w.raw(",");
                }
                write_history(w, h);
            }
            w.raw("]");
        }
    }

    /// `json.Marshal` of a `dockerspec.DockerOCIImage`: the embedded `ocispec.Image`'s
    /// fields in order (its `Platform` inlined), its `config` shadowed by the outer one,
    /// which Go writes last.
    fn to_json_v0_25(&self) -> String {
        let mut w = Writer::with_capacity(self.json_len_estimate());
        let mut o = Object::open(&mut w);
        if let Some(created) = &self.created {
            o.field(&mut w, "created");
            w.string(created);
        }
        if !self.author.is_empty() {
            o.field(&mut w, "author");
            w.string(&self.author);
        }
        o.field(&mut w, "architecture");
        w.string(&self.architecture);
        o.field(&mut w, "os");
        w.string(&self.os);
        if !self.variant.is_empty() {
            o.field(&mut w, "variant");
            w.string(&self.variant);
        }
        self.write_rootfs_and_history(&mut w, &mut o);
        o.field(&mut w, "config");
        write_config(&mut w, &self.config, Dialect::BuildKitV0_25);
        w.raw("}");
        w.finish()
    }
}

impl Image {
    /// Roughly how long [`Image::to_json`]'s text is (history and environment make up
    /// most of it), so the text is built without reallocating.
    fn json_len_estimate(&self) -> usize {
        let history: usize = self.history.iter().map(|h| h.created_by.len() + 96).sum();
        let env: usize = self.config.env.iter().map(|e| e.len() + 3).sum();
        512 + history + env
    }
}

/// A JSON object being written: `{` is out, members are separated by commas, the
/// caller writes each value after [`Object::key`] and the closing `}` at the end.
struct Object {
    first: bool,
}

impl Object {
    fn open(w: &mut Writer) -> Self {
        w.raw("{");
        Object { first: true }
    }

    fn separate(&mut self, w: &mut Writer) {
        if !self.first {
            w.raw(",");
        }
        self.first = false;
    }

    /// A struct field's name: plain ASCII, so written as is (no escaping to do).
    fn field(&mut self, w: &mut Writer, name: &'static str) {
        debug_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        self.separate(w);
        w.raw("\"");
        w.raw(name);
        w.raw("\":");
    }

    /// A map key: any text, escaped.
    fn key(&mut self, w: &mut Writer, key: &str) {
        self.separate(w);
        w.string(key);
        w.raw(":");
    }
}

fn write_history(w: &mut Writer, h: &History) {
    let mut o = Object::open(w);
    if let Some(created) = &h.created {
        o.field(w, "created");
        w.string(created);
    }
    if !h.created_by.is_empty() {
        o.field(w, "created_by");
        w.string(&h.created_by);
    }
    if !h.author.is_empty() {
        o.field(w, "author");
        w.string(&h.author);
    }
    if !h.comment.is_empty() {
        o.field(w, "comment");
        w.string(&h.comment);
    }
    if h.empty_layer {
        o.field(w, "empty_layer");
        w.raw("true");
    }
    w.raw("}");
}

/// A Go `map[string]struct{}`: `{"k":{},…}`, keys sorted.
fn write_set(w: &mut Writer, map: &BTreeMap<String, ()>) {
    let mut o = Object::open(w);
    for k in map.keys() {
        o.key(w, k);
        w.raw("{}");
    }
    w.raw("}");
}

/// The config object of `dialect`'s struct (see the module doc for the differences).
fn write_config(w: &mut Writer, c: &Config, dialect: Dialect) {
    let v0_8 = dialect.is_v0_8();
    let mut o = Object::open(w);
    if !c.user.is_empty() {
        o.field(w, "User");
        w.string(&c.user);
    }
    if let Some(ports) = c.exposed_ports.non_empty() {
        o.field(w, "ExposedPorts");
        write_set(w, &ports);
    }
    if !c.env.is_empty() {
        o.field(w, "Env");
        w.string_array(&c.env);
    }
    if !c.entrypoint.is_empty() {
        o.field(w, "Entrypoint");
        w.string_array(&c.entrypoint);
    }
    if !c.cmd.is_empty() {
        o.field(w, "Cmd");
        w.string_array(&c.cmd);
    }
    if let Some(volumes) = c.volumes.non_empty() {
        o.field(w, "Volumes");
        write_set(w, &volumes);
    }
    if !c.working_dir.is_empty() {
        o.field(w, "WorkingDir");
        w.string(&c.working_dir);
    }
    if let Some(labels) = c.labels.non_empty() {
        o.field(w, "Labels");
        let mut lo = Object::open(w);
        for (k, v) in labels.iter() {
            lo.key(w, k);
            w.string(v);
        }
        w.raw("}");
    }
    if !c.stop_signal.is_empty() {
        o.field(w, "StopSignal");
        w.string(&c.stop_signal);
    }
    if !v0_8 && c.args_escaped {
        o.field(w, "ArgsEscaped");
        w.raw("true");
    }
    if let Some(h) = &c.healthcheck {
        o.field(w, "Healthcheck");
        let mut ho = Object::open(w);
        if !h.test.is_empty() {
            ho.field(w, "Test");
            w.string_array(&h.test);
        }
        for (name, v) in [
            ("Interval", h.interval),
            ("Timeout", h.timeout),
            ("StartPeriod", h.start_period),
            ("StartInterval", h.start_interval),
            ("Retries", h.retries),
        ] {
            if v != 0 {
                ho.field(w, name);
                w.raw(&v.to_string());
            }
        }
        w.raw("}");
    }
    if v0_8 {
        if c.args_escaped {
            o.field(w, "ArgsEscaped");
            w.raw("true");
        }
        o.field(w, "OnBuild");
        match &c.on_build {
            None => w.raw("null"),
            Some(v) => w.string_array(v),
        }
        if let Some(t) = c.stop_timeout {
            o.field(w, "StopTimeout");
            w.raw(&t.to_string());
        }
    } else if let Some(v) = c.on_build.as_ref().filter(|v| !v.is_empty()) {
        o.field(w, "OnBuild");
        w.string_array(v);
    }
    if !c.shell.is_empty() {
        o.field(w, "Shell");
        w.string_array(&c.shell);
    }
    w.raw("}");
}

// ---- decoding ----------------------------------------------------------------------

/// The Go struct fields of each config level, for `match_field` (Go matches JSON keys
/// to them case-insensitively).
const IMAGE_FIELDS: [&str; 8] = [
    "created",
    "author",
    "architecture",
    "os",
    "config",
    "rootfs",
    "history",
    "variant",
];
const HISTORY_FIELDS: [&str; 5] = ["created", "created_by", "author", "comment", "empty_layer"];
const CONFIG_FIELDS: [&str; 14] = [
    "User",
    "ExposedPorts",
    "Env",
    "Entrypoint",
    "Cmd",
    "Volumes",
    "WorkingDir",
    "Labels",
    "StopSignal",
    "Healthcheck",
    "ArgsEscaped",
    "OnBuild",
    "StopTimeout",
    "Shell",
];
const HEALTH_FIELDS: [&str; 5] = ["Test", "Interval", "Timeout", "StartPeriod", "Retries"];
/// v0.25's `HealthcheckConfig` knows `StartInterval` too.
const HEALTH_FIELDS_V0_25: [&str; 6] = [
    "Test",
    "Interval",
    "Timeout",
    "StartPeriod",
    "StartInterval",
    "Retries",
];

fn members<'a>(
    v: &'a JValue<'a>,
    field: &str,
    go_type: &str,
) -> Result<Option<&'a [Member<'a>]>, String> {
    match v {
        JValue::Null => Ok(None),
        JValue::Object(m) => Ok(Some(m)),
        other => Err(type_error(other, field, go_type)),
    }
}

fn decode_string(v: &JValue<'_>, field: &str, into: &mut String) -> Result<(), String> {
    match v {
        JValue::Null => Ok(()),
        JValue::String(s) => {
            *into = s.as_ref().to_owned();
            Ok(())
        }
        other => Err(type_error(other, field, "string")),
    }
}

fn decode_bool(v: &JValue<'_>, field: &str, into: &mut bool) -> Result<(), String> {
    match v {
        JValue::Null => Ok(()),
        JValue::Bool(b) => {
            *into = *b;
            Ok(())
        }
        other => Err(type_error(other, field, "bool")),
    }
}

fn decode_int(v: &JValue<'_>, field: &str, go_type: &str) -> Result<Option<i64>, String> {
    match v {
        JValue::Null => Ok(None),
        JValue::Number(n) => n.as_i64().map(Some).ok_or_else(|| {
            format!(
                "json: cannot unmarshal number {n} into Go struct field {field} of type {go_type}"
            )
        }),
        other => Err(type_error(other, field, go_type)),
    }
}

/// `[]string`: `null` makes it nil (empty).
fn decode_strings(v: &JValue<'_>, field: &str) -> Result<Option<Vec<String>>, String> {
    match v {
        JValue::Null => Ok(None),
        JValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    JValue::String(s) => out.push(s.as_ref().to_owned()),
                    JValue::Null => out.push(String::new()),
                    other => return Err(type_error(other, field, "string")),
                }
            }
            Ok(Some(out))
        }
        other => Err(type_error(other, field, "[]string")),
    }
}

fn decode_set(v: &JValue<'_>, field: &str) -> Result<Option<SharedMap<()>>, String> {
    let Some(m) = members(v, field, "map[string]struct {}")? else {
        return Ok(None);
    };
    let mut map = BTreeMap::new();
    for (k, value) in m {
        match value {
            JValue::Null | JValue::Object(_) => {
                map.insert(k.as_ref().to_owned(), ());
            }
            other => return Err(type_error(other, field, "struct {}")),
        }
    }
    Ok(Some(SharedMap::from_map(map)))
}

fn decode_image(v: &JValue<'_>, img: &mut Image, dialect: Dialect) -> Result<(), String> {
    let Some(m) = members(v, "Image", "dockerfile2llb.Image")? else {
        return Ok(());
    };
    for (key, value) in m {
        let Some(field) = match_field(key, &IMAGE_FIELDS) else {
            continue;
        };
        match field {
            "created" => {
                if let Some(t) = decode_time(value, "Image.created")? {
                    img.created = Some(t);
                }
            }
            "author" => decode_string(value, "Image.author", &mut img.author)?,
            "architecture" => decode_string(value, "Image.architecture", &mut img.architecture)?,
            "os" => decode_string(value, "Image.os", &mut img.os)?,
            "variant" => decode_string(value, "Image.variant", &mut img.variant)?,
            "config" => decode_config(value, &mut img.config, dialect)?,
            "rootfs" => {
                if let Some(rm) = members(value, "Image.rootfs", "v1.RootFS")? {
                    for (k, rv) in rm {
                        match match_field(k, &["type", "diff_ids"]) {
                            Some("type") => decode_string(rv, "RootFS.type", &mut img.rootfs_type)?,
                            Some("diff_ids") => {
                                img.diff_ids = decode_strings(rv, "RootFS.diff_ids")?
                            }
                            _ => {}
                        }
                    }
                }
            }
            "history" => match value {
                JValue::Null => img.history.clear(),
                JValue::Array(items) => {
                    img.history.clear();
                    for item in items {
                        let mut h = History::default();
                        decode_history(item, &mut h)?;
                        img.history.push(h);
                    }
                }
                other => return Err(type_error(other, "Image.history", "[]v1.History")),
            },
            _ => {}
        }
    }
    Ok(())
}

fn decode_history(v: &JValue<'_>, h: &mut History) -> Result<(), String> {
    let Some(m) = members(v, "Image.history", "v1.History")? else {
        return Ok(());
    };
    for (key, value) in m {
        match match_field(key, &HISTORY_FIELDS) {
            Some("created") => {
                if let Some(t) = decode_time(value, "History.created")? {
                    h.created = Some(t);
                }
            }
            Some("created_by") => decode_string(value, "History.created_by", &mut h.created_by)?,
            Some("author") => decode_string(value, "History.author", &mut h.author)?,
            Some("comment") => {
                let mut comment = h.comment.to_string();
                decode_string(value, "History.comment", &mut comment)?;
                h.comment = Cow::Owned(comment);
            }
            Some("empty_layer") => decode_bool(value, "History.empty_layer", &mut h.empty_layer)?,
            _ => {}
        }
    }
    Ok(())
}

/// The field path Go's decoding errors name (`ImageConfig.config.Env`), for the fields
/// of `decode_config`.
fn config_field_name(field: &str) -> &'static str {
    match field {
        "User" => "ImageConfig.config.User",
        "ExposedPorts" => "ImageConfig.config.ExposedPorts",
        "Env" => "ImageConfig.config.Env",
        "Entrypoint" => "ImageConfig.config.Entrypoint",
        "Cmd" => "ImageConfig.config.Cmd",
        "Volumes" => "ImageConfig.config.Volumes",
        "WorkingDir" => "ImageConfig.config.WorkingDir",
        "Labels" => "ImageConfig.config.Labels",
        "StopSignal" => "ImageConfig.config.StopSignal",
        "Healthcheck" => "ImageConfig.config.Healthcheck",
        "ArgsEscaped" => "ImageConfig.config.ArgsEscaped",
        "OnBuild" => "ImageConfig.config.OnBuild",
        "StopTimeout" => "ImageConfig.config.StopTimeout",
        "Shell" => "ImageConfig.config.Shell",
        _ => "ImageConfig.config",
    }
}

fn decode_config(v: &JValue<'_>, c: &mut Config, dialect: Dialect) -> Result<(), String> {
    let Some(m) = members(v, "Image.config", "dockerfile2llb.ImageConfig")? else {
        return Ok(());
    };
    for (key, value) in m {
        let Some(field) = match_field(key, &CONFIG_FIELDS) else {
            continue;
        };
        // v0.25's struct has no `StopTimeout`: a base image's value is dropped.
        if field == "StopTimeout" && !dialect.is_v0_8() {
            continue;
        }
        let name = config_field_name(field);
        match field {
            "User" => decode_string(value, name, &mut c.user)?,
            "WorkingDir" => decode_string(value, name, &mut c.working_dir)?,
            "StopSignal" => decode_string(value, name, &mut c.stop_signal)?,
            "ArgsEscaped" => decode_bool(value, name, &mut c.args_escaped)?,
            "Env" => c.env = decode_strings(value, name)?.unwrap_or_default(),
            "Entrypoint" => c.entrypoint = decode_strings(value, name)?.unwrap_or_default(),
            "Cmd" => c.cmd = decode_strings(value, name)?.unwrap_or_default(),
            "OnBuild" => c.on_build = decode_strings(value, name)?,
            // strslice.StrSlice: a string is a one-element list.
            "Shell" => {
                c.shell = match value {
                    JValue::String(s) => vec![s.as_ref().to_owned()],
                    other => decode_strings(other, name)?.unwrap_or_default(),
                }
            }
            "ExposedPorts" => c.exposed_ports = decode_set(value, name)?.unwrap_or_default(),
            "Volumes" => c.volumes = decode_set(value, name)?.unwrap_or_default(),
            "Labels" => match members(value, name, "map[string]string")? {
                None => c.labels = SharedMap::default(),
                Some(lm) => {
                    let mut map = BTreeMap::new();
                    for (k, lv) in lm {
                        let mut s = String::new();
                        decode_string(lv, name, &mut s)?;
                        map.insert(k.as_ref().to_owned(), s);
                    }
                    c.labels = SharedMap::from_map(map);
                }
            },
            "StopTimeout" => c.stop_timeout = decode_int(value, name, "int")?,
            "Healthcheck" => match members(value, name, "dockerfile2llb.HealthConfig")? {
                None => c.healthcheck = None,
                Some(hm) => {
                    let mut h = c.healthcheck.take().unwrap_or_default();
                    for (k, hv) in hm {
                        let hf = if dialect.is_v0_8() {
                            match_field(k, &HEALTH_FIELDS)
                        } else {
                            match_field(k, &HEALTH_FIELDS_V0_25)
                        };
                        let hname = format!("HealthConfig.config.Healthcheck.{}", hf.unwrap_or(""));
                        match hf {
                            Some("Test") => {
                                h.test = decode_strings(hv, &hname)?.unwrap_or_default()
                            }
                            Some("Interval") => {
                                h.interval =
                                    decode_int(hv, &hname, "time.Duration")?.unwrap_or(h.interval)
                            }
                            Some("Timeout") => {
                                h.timeout =
                                    decode_int(hv, &hname, "time.Duration")?.unwrap_or(h.timeout)
                            }
                            Some("StartPeriod") => {
                                h.start_period = decode_int(hv, &hname, "time.Duration")?
                                    .unwrap_or(h.start_period);
                            }
                            Some("StartInterval") => {
                                h.start_interval = decode_int(hv, &hname, "time.Duration")?
                                    .unwrap_or(h.start_interval);
                            }
                            Some("Retries") => {
                                h.retries = decode_int(hv, &hname, "int")?.unwrap_or(h.retries)
                            }
                            _ => {}
                        }
                    }
                    c.healthcheck = Some(h);
                }
            },
            _ => {}
        }
    }
    Ok(())
}

// ---- time -----------------------------------------------------------------------

fn decode_time(v: &JValue<'_>, field: &str) -> Result<Option<String>, String> {
    match v {
        JValue::Null => Ok(None),
        JValue::String(s) => reformat_time(s).map(Some),
        other => Err(type_error(other, field, "time.Time")),
    }
}

/// Parses an RFC 3339 time as Go's `time.Time.UnmarshalJSON` does and returns it as
/// `MarshalJSON` writes it (RFC 3339 with up to 9 fraction digits, trailing zeros
/// dropped, `Z` for a zero offset).
pub(crate) fn reformat_time(s: &str) -> Result<String, String> {
    let fail = || format!("parsing time \"{s}\" as \"2006-01-02T15:04:05Z07:00\": cannot parse");
    let b = s.as_bytes();
    // The decimal value of a run of (at most four) ASCII digits.
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?.iter().try_fold(0, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let year = num(0..4).ok_or_else(fail)?;
    if b.get(4) != Some(&b'-') {
        return Err(fail());
    }
    let month = num(5..7).ok_or_else(fail)?;
    if b.get(7) != Some(&b'-') {
        return Err(fail());
    }
    let day = num(8..10).ok_or_else(fail)?;
    if b.get(10) != Some(&b'T') {
        return Err(fail());
    }
    // Go's `15` accepts one or two hour digits.
    let mut i = 11;
    let hour_len = if b.get(12).is_some_and(u8::is_ascii_digit) {
        2
    } else {
        1
    };
    let hour = num(i..i + hour_len).ok_or_else(fail)?;
    i += hour_len;
    if b.get(i) != Some(&b':') {
        return Err(fail());
    }
    let minute = num(i + 1..i + 3).ok_or_else(fail)?;
    if b.get(i + 3) != Some(&b':') {
        return Err(fail());
    }
    let second = num(i + 4..i + 6).ok_or_else(fail)?;
    i += 6;
    let mut frac = String::new();
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if frac.len() < 9 {
                frac.push(char::from(*d));
            }
            frac_digits += 1;
            i += 1;
        }
    }
    let zone_start = i;
    let zone = match b.get(i) {
        Some(b'Z') if i + 1 == b.len() => "Z".to_owned(),
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let zh = num(i + 1..i + 3).ok_or_else(fail)?;
            let zm = num(i + 4..i + 6).ok_or_else(fail)?;
            if zh == 0 && zm == 0 {
                "Z".to_owned()
            } else {
                format!("{}{zh:02}:{zm:02}", char::from(*sign))
            }
        }
        _ => return Err(fail()),
    };
    let out_of_range = |what: &str| format!("parsing time \"{s}\": {what} out of range");
    if !(1..=12).contains(&month) {
        return Err(out_of_range("month"));
    }
    if day < 1 || day > days_in(month, year) {
        return Err(out_of_range("day"));
    }
    if hour > 23 {
        return Err(out_of_range("hour"));
    }
    if minute > 59 {
        return Err(out_of_range("minute"));
    }
    if second > 59 {
        return Err(out_of_range("second"));
    }
    // Already in the output form (the common case): two hour digits, at most nine
    // fraction digits without trailing zeros, no zero offset.
    if hour_len == 2 && frac_digits <= 9 && !frac.ends_with('0') && s[zone_start..] == zone {
        return Ok(s.to_owned());
    }
    let frac = frac.trim_end_matches('0');
    let frac = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    Ok(format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{frac}{zone}"
    ))
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year.rem_euclid(4) == 0
            && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0) =>
        {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_reformat_like_go() {
        assert_eq!(
            reformat_time("2021-03-09T23:21:45.473624537Z").unwrap(),
            "2021-03-09T23:21:45.473624537Z"
        );
        assert_eq!(
            reformat_time("2019-01-01T00:00:00.000Z").unwrap(),
            "2019-01-01T00:00:00Z"
        );
        assert_eq!(
            reformat_time("2019-01-01T00:00:00.1200+00:00").unwrap(),
            "2019-01-01T00:00:00.12Z"
        );
        assert_eq!(
            reformat_time("2019-01-01T00:00:00-07:30").unwrap(),
            "2019-01-01T00:00:00-07:30"
        );
        assert_eq!(
            reformat_time("2019-01-01T00:00:00.1234567891234Z").unwrap(),
            "2019-01-01T00:00:00.123456789Z"
        );
        for same in [
            "2024-06-13T00:00:00Z",
            "2021-03-09T23:21:45.473624537Z",
            "2019-01-01T00:00:00.12-07:30",
        ] {
            assert_eq!(reformat_time(same).unwrap(), same);
        }
        assert_eq!(
            reformat_time("2019-01-01T1:00:00Z").unwrap(),
            "2019-01-01T01:00:00Z"
        );
        assert_eq!(
            reformat_time("2019-01-01T10:00:00.5-00:00").unwrap(),
            "2019-01-01T10:00:00.5Z"
        );
        assert!(reformat_time("2019-02-30T00:00:00Z").is_err());
        assert!(reformat_time("2019-01-01 00:00:00Z").is_err());
        assert!(reformat_time("2019-01-01T00:00:00").is_err());
    }

    #[test]
    fn decodes_known_fields_and_drops_the_rest() {
        let img = Image::parse(
            br#"{"architecture":"amd64","os":"linux","created":"2020-01-01T00:00:00Z",
                "container_config":{"Hostname":"x"},
                "config":{"env":["A=1"],"Cmd":["sh"],"Labels":{"a":"b"},"Shell":"bash",
                          "ExposedPorts":{"80/tcp":{}},"Healthcheck":{"Test":["NONE"],"Retries":3}},
                "rootfs":{"type":"layers","diff_ids":["sha256:aa"]},
                "history":[{"created":"2020-01-01T00:00:00.500Z","created_by":"x","empty_layer":true}]}"#,
        )
        .unwrap();
        assert_eq!(img.config.env, ["A=1"]);
        assert_eq!(img.config.shell, ["bash"]);
        assert_eq!(img.config.healthcheck.as_ref().unwrap().retries, 3);
        assert_eq!(
            img.history[0].created.as_deref(),
            Some("2020-01-01T00:00:00.5Z")
        );
        let json = img.to_json().unwrap();
        assert_eq!(
            json,
            r#"{"created":"2020-01-01T00:00:00Z","architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"history":[{"created":"2020-01-01T00:00:00.5Z","created_by":"x","empty_layer":true}],"config":{"ExposedPorts":{"80/tcp":{}},"Env":["A=1"],"Cmd":["sh"],"Labels":{"a":"b"},"Healthcheck":{"Test":["NONE"],"Retries":3},"OnBuild":null,"Shell":["bash"]}}"#
        );
    }

    #[test]
    fn type_errors_are_reported() {
        let err = Image::parse(br#"{"config":{"Env":"A=1"}}"#).unwrap_err();
        assert_eq!(err, "json: cannot unmarshal string into Go struct field ImageConfig.config.Env of type []string");
        assert!(Image::parse(b"{").is_err());
        assert!(Image::parse(br#"{"config":{"StopTimeout":1.5}}"#).is_err());
    }

    #[test]
    fn maps_are_shared_between_clones() {
        let mut a = Image::default();
        a.config.labels.insert("x".into(), "1".into());
        let mut b = a.clone_for_stage();
        b.config.labels.insert("y".into(), "2".into());
        assert_eq!(a.config.labels.snapshot().len(), 2);
        let mut c = Image::default();
        let mut d = c.clone_for_stage();
        d.config.labels.insert("z".into(), "3".into());
        assert!(c.config.labels.is_nil());
        c.config.labels.make_if_nil();
        assert!(!c.config.labels.is_nil());
    }
}
