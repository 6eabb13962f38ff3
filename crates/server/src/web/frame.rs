//! What every page of the signed-in application shares: who is looking, in
//! which workspace, locale and time zone, and the frame (navigation, search,
//! CSRF token) around the page's own content.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::Response;
use chrono::{DateTime, Utc};
use rapport_domain::Kind;
use rapport_domain::access::Role;
use rapport_store::auth::Session;
use rapport_store::{Scope, StoreError};
use serde_json::Value as Json;
use uuid::Uuid;

use super::format::Format;
use super::i18n::{self, Arg, Catalog};
use super::{SignedIn, see_other, signed_in, store_failure};
use crate::AppState;

/// A signed-in request to an application page. Without a live session the
/// browser is sent to sign in and brought back afterwards.
pub struct App {
    pub scope: Scope,
    pub session: Session,
    pub ui: Ui,
}

impl App {
    pub fn user_id(&self) -> Uuid {
        self.session.user_id
    }

    /// Whether a submitted form carries this session's CSRF token; check it
    /// before any change.
    pub fn csrf_ok(&self, fields: &super::Fields) -> bool {
        fields.get(super::CSRF_FIELD).is_some_and(|f| super::same_secret(f, &self.session.csrf))
    }
}

/// What templates need to draw the frame and to speak the reader's language.
pub struct Ui {
    pub catalog: &'static Catalog,
    pub fmt: Format,
    pub csrf: String,
    pub user_name: String,
    pub workspace: String,
    /// The workspace's currency, for new amounts.
    pub currency: String,
    pub role: Role,
    /// The navigation entry to mark as current.
    pub section: &'static str,
    /// The workspace's custom record kinds (key, plural label): one navigation entry each.
    pub kinds: Vec<(String, String)>,
    /// The custom record kind whose pages these are.
    pub kind_section: String,
}

impl FromRequestParts<AppState> for App {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(SignedIn { session, scope, .. }) = signed_in(state, parts).await.map_err(store_failure)? else {
            let here = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let to = if here == "/" { "/login".to_string() } else { format!("/login?next={}", urlencode(here)) };
            return Err(see_other(&to, &[]));
        };
        let accept = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let ui = load_ui(state, &scope, &session, accept).await.map_err(store_failure)?;
        Ok(App { scope, session, ui })
    }
}

async fn load_ui(state: &AppState, scope: &Scope, session: &Session, accept: &str) -> Result<Ui, StoreError> {
    let ws = state.store.workspace(scope).await?;
    let me = state.store.get(scope, Kind::User, session.user_id).await?;
    let text = |k: &str| me.get(k).and_then(Json::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let locale = text("locale").unwrap_or_else(|| accept.to_string());
    let tz = text("time_zone").unwrap_or_else(|| ws.time_zone.clone());
    let fmt = Format::new(&locale, &tz);
    Ok(Ui {
        catalog: i18n::catalog(fmt.tag),
        fmt,
        csrf: session.csrf.clone(),
        user_name: text("name").unwrap_or_default(),
        workspace: ws.name,
        currency: ws.currency,
        role: scope.actor.as_ref().map(|a| a.role).unwrap_or(Role::Admin),
        section: "",
        kinds: state.store.object_type_names(scope).await.unwrap_or_default(),
        kind_section: String::new(),
    })
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    // One encoder for the whole UI; a path keeps its slashes readable.
    super::lists::query::enc(s).replace("%2F", "/")
}

impl Ui {
    /// A message of the catalog.
    pub fn t(&self, key: &str) -> String {
        self.catalog.text(key, &[])
    }

    /// A message with one text argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.catalog.text(key, &[(name, Arg::Str(value))])
    }

    /// A message with one number argument (plurals).
    pub fn tn(&self, key: &str, name: &str, n: i64) -> String {
        self.catalog.text(key, &[(name, Arg::Num(n))])
    }

    /// A message with two text arguments.
    pub fn t2(&self, key: &str, a: &str, av: &str, b: &str, bv: &str) -> String {
        self.catalog.text(key, &[(a, Arg::Str(av)), (b, Arg::Str(bv))])
    }

    /// The language the page is written in, for `<html lang>`: the catalog's,
    /// not the locale numbers and dates follow (German formats with English
    /// text is English to a screen reader).
    pub fn lang(&self) -> &str {
        self.catalog.lang
    }

    /// The locale numbers, dates and money follow (`de-DE`), for scripts that format them.
    pub fn locale(&self) -> &str {
        self.fmt.tag
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether the reader may change records at all.
    pub fn can_write(&self) -> bool {
        !matches!(self.role, Role::ReadOnly | Role::Portal)
    }

    /// `aria-current` for a custom record kind's navigation entry.
    pub fn current_kind(&self, key: &str) -> &'static str {
        if self.kind_section == key { "page" } else { "false" }
    }

    /// `aria-current` for a navigation entry.
    pub fn current(&self, section: &str) -> &'static str {
        if self.section == section { "page" } else { "false" }
    }

    /// The label of a field of a kind, from the catalog (`field-person-first_name`),
    /// or the field's name made readable when the catalog has none (custom fields).
    pub fn field(&self, kind: Kind, name: &str) -> String {
        let key = format!("field-{}-{name}", kind.as_str());
        if self.catalog.has(&key) {
            return self.catalog.text(&key, &[]);
        }
        let common = format!("field-{name}");
        if self.catalog.has(&common) {
            return self.catalog.text(&common, &[]);
        }
        humanize(name)
    }

    /// The label of an enum value (`status-open`), or the value made readable.
    pub fn value(&self, field: &str, value: &str) -> String {
        let key = format!("value-{field}-{value}");
        if self.catalog.has(&key) { self.catalog.text(&key, &[]) } else { humanize(value) }
    }

    /// A kind's name, singular.
    pub fn kind(&self, kind: Kind) -> String {
        self.t(&format!("kind-{}", kind.as_str()))
    }

    /// A kind's name, plural.
    pub fn kinds(&self, kind: Kind) -> String {
        self.t(&format!("kinds-{}", kind.as_str()))
    }

    /// A stored time or date, shown in the reader's zone and locale.
    pub fn when(&self, v: &Json) -> String {
        self.fmt.stored(v)
    }

    pub fn datetime(&self, t: &DateTime<Utc>) -> String {
        self.fmt.datetime(t)
    }

    pub fn number(&self, n: &i64) -> String {
        self.fmt.number(*n)
    }

    pub fn money(&self, minor: &i64, currency: &str) -> String {
        self.fmt.money(*minor, currency)
    }

    /// Sums in several currencies, each in its own (`€1,200.00 + $300.00`),
    /// never added together; zero in the workspace's currency when empty.
    pub fn money_sums(&self, sums: &std::collections::BTreeMap<String, i64>) -> String {
        if sums.is_empty() {
            return self.money(&0, &self.currency);
        }
        sums.iter().map(|(c, m)| self.money(m, c)).collect::<Vec<_>>().join(" + ")
    }

    /// The asset URL with a digest of its content, so browsers may cache it forever.
    pub fn asset(&self, name: &str) -> String {
        super::assets::url(name)
    }
}

/// An English reader's page in time zone `tz`, a member of a workspace in euros.
#[cfg(test)]
pub fn test_ui(tz: &str) -> Ui {
    Ui {
        catalog: i18n::catalog("en"),
        fmt: Format::new("en-US", tz),
        csrf: String::new(),
        user_name: String::new(),
        workspace: String::new(),
        currency: "EUR".into(),
        role: Role::Member,
        section: "",
        kinds: vec![],
        kind_section: String::new(),
    }
}

/// `first_name` → `First name`.
pub fn humanize(name: &str) -> String {
    let s = name.replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_escaped() {
        assert_eq!(urlencode("/people?q=a b&x=é"), "/people%3Fq%3Da%20b%26x%3D%C3%A9");
    }

    #[test]
    fn names_are_made_readable() {
        assert_eq!(humanize("first_name"), "First name");
        assert_eq!(humanize(""), "");
    }
}
