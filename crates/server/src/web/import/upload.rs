//! Uploaded files kept between the steps of an import (mapping, preview, run).
//! Each lives in the temporary directory under a random id, in a folder of its
//! workspace and user, so nobody else can name it; it is streamed there as it
//! arrives and read back row by row, never held in memory whole.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use axum::extract::Multipart;
use rapport_store::Scope;
use serde_json::{Value as Json, json};
use uuid::Uuid;

/// Uploads older than this are removed when someone uploads again.
const KEEP: Duration = Duration::from_secs(24 * 3600);

/// A stored upload: where it is, what it holds.
pub struct Upload {
    pub id: String,
    /// What the rows are: a collection or a custom kind's key (`RowKind::name`),
    /// resolved again at each step.
    pub kind: String,
    pub file_name: String,
    pub data: PathBuf,
}

fn root() -> PathBuf {
    std::env::temp_dir().join("rapport-web-imports")
}

fn dir(scope: &Scope) -> PathBuf {
    let user = scope.user_id.unwrap_or(Uuid::nil());
    root().join(scope.workspace_id.to_string()).join(user.to_string())
}

/// Makes the user's folder; the root is private to the server's account,
/// since the files hold people's data.
fn make_dir(d: &std::path::Path) -> std::io::Result<()> {
    let r = root();
    if !r.exists() {
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.recursive(true).create(&r)?;
    }
    std::fs::create_dir_all(d)
}

/// Only the ids this module makes: no path can be smuggled through one.
fn valid_id(id: &str) -> bool {
    (20..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The upload of this id, if this user made it.
pub fn find(scope: &Scope, id: &str) -> Option<Upload> {
    if !valid_id(id) {
        return None;
    }
    let d = dir(scope);
    let meta: Json = serde_json::from_slice(&std::fs::read(d.join(format!("{id}.json"))).ok()?).ok()?;
    let kind = meta.get("kind").and_then(Json::as_str).filter(|k| !k.is_empty())?.to_string();
    let file_name = meta.get("file_name").and_then(Json::as_str).unwrap_or_default().to_string();
    let data = d.join(format!("{id}.data"));
    data.exists().then(|| Upload { id: id.to_string(), kind, file_name, data })
}

/// What went wrong reading an upload form.
pub enum Refused {
    /// The form's CSRF token was missing or wrong.
    Csrf,
    /// The form could not be read, or had no file.
    Form,
    /// The file is empty.
    Empty,
    Io(std::io::Error),
}

impl From<std::io::Error> for Refused {
    fn from(e: std::io::Error) -> Self {
        Refused::Io(e)
    }
}

/// The form's fields (all but the file) and the stored upload. The CSRF token
/// must come before the file, so nothing is written for a forged form.
pub async fn receive(
    scope: &Scope,
    mut form: Multipart,
    csrf_ok: impl Fn(&str) -> bool,
) -> Result<(Vec<(String, String)>, Option<(String, String)>), Refused> {
    let mut fields = vec![];
    let mut stored: Option<(String, String)> = None;
    let mut csrf = false;
    let d = dir(scope);
    sweep(&d);
    while let Some(mut field) = form.next_field().await.map_err(|_| Refused::Form)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            if !csrf {
                return Err(Refused::Csrf);
            }
            let file_name = field.file_name().unwrap_or_default().to_string();
            make_dir(&d)?;
            let id = rapport_store::auth::random_secret();
            let path = d.join(format!("{id}.data"));
            let mut out = std::fs::File::create(&path)?;
            let mut n = 0u64;
            while let Some(chunk) = field.chunk().await.map_err(|_| Refused::Form)? {
                n += chunk.len() as u64;
                if n > super::MAX_UPLOAD as u64 {
                    let _ = std::fs::remove_file(&path);
                    return Err(Refused::Form);
                }
                out.write_all(&chunk)?;
            }
            out.flush()?;
            if n == 0 {
                let _ = std::fs::remove_file(&path);
                return Err(Refused::Empty);
            }
            stored = Some((id, file_name));
        } else {
            let value = field.text().await.map_err(|_| Refused::Form)?;
            if name == super::super::CSRF_FIELD {
                csrf = csrf_ok(&value);
            }
            fields.push((name, value));
        }
    }
    if !csrf {
        if let Some((id, _)) = &stored {
            let _ = std::fs::remove_file(d.join(format!("{id}.data")));
        }
        return Err(Refused::Csrf);
    }
    Ok((fields, stored))
}

/// Records what the upload is, once the form's fields are known.
pub fn describe(scope: &Scope, id: &str, kind: &str, file_name: &str) -> std::io::Result<()> {
    let meta = json!({"kind": kind, "file_name": file_name});
    std::fs::write(dir(scope).join(format!("{id}.json")), meta.to_string())
}

/// Removes an upload that will not be used.
pub fn discard(scope: &Scope, id: &str) {
    let d = dir(scope);
    let _ = std::fs::remove_file(d.join(format!("{id}.data")));
    let _ = std::fs::remove_file(d.join(format!("{id}.json")));
}

/// Removes this user's old uploads.
fn sweep(d: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(d) else { return };
    let now = SystemTime::now();
    for e in entries.flatten() {
        let old = e.metadata().and_then(|m| m.modified()).is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > KEEP));
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
