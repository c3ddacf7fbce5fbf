//! `http://` and `https://` sources.

use std::collections::BTreeMap;

use crate::caps::{self, Need};
use crate::error::Error;
use crate::ops::source::{source_state, SourceOp};
use crate::ops::{OpMeta, OpOptions};
use crate::state::{State, StateValues};

/// An `http://` or `https://` source: one downloaded file.
#[derive(Debug, Clone)]
pub struct Http {
    url: String,
    checksum: Option<String>,
    filename: Option<String>,
    perm: Option<u32>,
    uid: Option<u32>,
    gid: Option<u32>,
    meta: OpMeta,
}

impl Http {
    /// A URL, which must start with `http://` or `https://`.
    pub fn new(url: impl Into<String>) -> Result<Self, Error> {
        let url = url.into();
        let lower = url.to_ascii_lowercase();
        let host_present = ["http://", "https://"]
            .iter()
            .any(|p| lower.starts_with(p) && lower.len() > p.len());
        if !host_present {
            return Err(Error::InvalidSource(format!(
                "`{url}` is not an http(s) URL"
            )));
        }
        Ok(Self {
            url,
            checksum: None,
            filename: None,
            perm: None,
            uid: None,
            gid: None,
            meta: OpMeta::default(),
        })
    }

    /// The expected content digest (`http.checksum`, `ADD --checksum`).
    pub fn checksum(mut self, digest: impl Into<String>) -> Self {
        self.checksum = Some(digest.into());
        self
    }

    /// The file name to store the download under (default: derived from the URL).
    pub fn filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = Some(filename.into());
        self
    }

    /// The file's permission bits (`http.perm`).
    pub fn perm(mut self, mode: u32) -> Self {
        self.perm = Some(mode);
        self
    }

    /// The file's owner uid (`http.uid`; 0 is the default and is not sent).
    pub fn uid(mut self, uid: u32) -> Self {
        self.uid = Some(uid);
        self
    }

    /// The file's owner gid (`http.gid`; 0 is the default and is not sent).
    pub fn gid(mut self, gid: u32) -> Self {
        self.gid = Some(gid);
        self
    }

    /// A state holding the downloaded file.
    pub fn build(self) -> State {
        let mut attrs = BTreeMap::new();
        let mut needs = Vec::new();
        if let Some(checksum) = self.checksum {
            attrs.insert("http.checksum".to_owned(), checksum);
            needs.push(Need::cap(
                caps::SOURCE_HTTP_CHECKSUM,
                "http source checksum",
            ));
        }
        if let Some(filename) = self.filename {
            attrs.insert("http.filename".to_owned(), filename);
        }
        if let Some(perm) = self.perm.filter(|p| *p != 0) {
            attrs.insert("http.perm".to_owned(), format!("0{perm:o}"));
            needs.push(Need::cap(caps::SOURCE_HTTP_PERM, "http source permissions"));
        }
        for (key, id) in [("http.uid", self.uid), ("http.gid", self.gid)] {
            if let Some(id) = id.filter(|id| *id != 0) {
                attrs.insert(key.to_owned(), id.to_string());
                needs.push(Need::cap(caps::SOURCE_HTTP_UID_GID, "http source owner"));
            }
        }
        needs.push(Need::cap(caps::SOURCE_HTTP, "http source"));
        let op = SourceOp {
            identifier: self.url,
            attrs,
            needs,
            optional_attrs: Vec::new(),
            platform: None,
        };
        source_state(op, self.meta, StateValues::default())
    }
}

impl OpOptions for Http {
    fn op_meta(&mut self) -> &mut OpMeta {
        &mut self.meta
    }
}
