//! Signing in from a browser: password hashes (argon2id), sign-in throttling
//! shared by every server through the database, web sessions, and one-time
//! links for the first setup and for password resets.
//!
//! Secrets are never stored: a session id, a setup link or a reset link is
//! kept as its SHA-256 digest, and a password as an argon2id hash.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rapport_domain::value::{new_id, now};
use rapport_domain::{Kind, ValidationErrors};
use sea_query::{Expr, ExprTrait, Func, OnConflict, Order, Query};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::audit::{self, Event};
use crate::db::{Col, Tx, str_at, uuid_at};
use crate::sql::{t, tc};
use crate::values::{opt_uuid, time, uuid};
use crate::workspaces::token_digest;
use crate::{Scope, Store, StoreError, Via};

/// A new password has at least this many characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longer passwords are refused, so that hashing stays cheap to ask for.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// A session ends after this long without use...
pub const SESSION_IDLE: Duration = Duration::days(14);
/// ...and this long after sign-in in any case.
pub const SESSION_MAX_AGE: Duration = Duration::days(90);
/// Failed sign-ins are counted over this window.
pub const LOGIN_WINDOW: Duration = Duration::minutes(15);
/// This many failures for one email within the window lock that email...
pub const EMAIL_MAX_FAILURES: i64 = 5;
/// ...and this many from one address block that address...
pub const ADDRESS_MAX_FAILURES: i64 = 30;
/// ...for this long.
pub const LOCK_DURATION: Duration = Duration::minutes(15);
/// How long a first-setup link works.
pub const SETUP_LINK_TTL: Duration = Duration::hours(24);
/// How long a password-reset link works.
pub const RESET_LINK_TTL: Duration = Duration::hours(1);

const SETUP: &str = "setup";
const RESET: &str = "reset";

/// A random secret for a cookie, a link or a CSRF token: 256 bits, URL-safe.
pub fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Checks a new password: long enough, not absurdly long, not the email.
pub fn check_new_password(password: &str, email: &str) -> Result<(), ValidationErrors> {
    let mut errs = ValidationErrors::default();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        errs.push_with(
            "password",
            "too_short",
            format!("use at least {MIN_PASSWORD_CHARS} characters"),
            &[("min", MIN_PASSWORD_CHARS.to_string())],
        );
    } else if password.len() > MAX_PASSWORD_BYTES {
        errs.push("password", "too_long", format!("use at most {MAX_PASSWORD_BYTES} bytes"));
    } else if password.trim().to_lowercase() == email.trim().to_lowercase() {
        errs.push("password", "invalid", "the password must not be your email address");
    }
    errs.into_result()
}

/// Hashes a password with argon2id and a random salt, off the async threads.
pub async fn hash_password(password: &str) -> Result<String, StoreError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Config(format!("cannot hash the password: {e}")))
    })
    .await
    .map_err(|e| StoreError::Config(format!("the hashing task failed: {e}")))?
}

/// A hash checked when there is no account, so that an unknown email takes as
/// long to refuse as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| Argon2::default().hash_password(random_secret().as_bytes()).map(|h| h.to_string()).unwrap_or_default())
}

/// Whether the password matches the stored hash, off the async threads. With
/// no hash, spends the same time and answers no.
pub async fn verify_password(hash: Option<&str>, password: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    let (hash, real) = match hash {
        Some(h) => (h.to_string(), true),
        None => (String::new(), false),
    };
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let h = if real { hash.as_str() } else { dummy_hash() };
        let ok = Argon2::default().verify_password(password.as_bytes(), h).is_ok();
        ok && real
    })
    .await
    .unwrap_or(false)
}

/// A user account a person may sign in to.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub workspace_id: Uuid,
    pub workspace_name: String,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: String,
    /// A digest of the password hash checked at sign-in: a switch to this
    /// account is refused once its password has changed.
    #[serde(skip)]
    hash_digest: String,
}

/// What a sign-in attempt came to.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// The password matched these accounts (one or more, first workspace first).
    Accepted(Vec<Account>),
    /// Unknown email or wrong password: the caller must not say which.
    Refused,
    /// Too many failures for this email; it is locked until then.
    EmailLocked { until: DateTime<Utc> },
    /// Too many failures from this address; it is blocked until then.
    AddressBlocked { until: DateTime<Utc> },
}

/// An account the session may switch to without signing in again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Choice {
    pub workspace_id: Uuid,
    pub user_id: Uuid,
    hash_digest: String,
}

/// What starts a web session.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub workspace_id: Uuid,
    pub user_id: Uuid,
    pub email: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// How the person got in: "password", "setup", "reset", "switch".
    pub method: &'a str,
    pub choices: Vec<Choice>,
}

/// A session just started: the id goes in the cookie and nowhere else.
#[derive(Debug, Clone)]
pub struct Issued {
    pub id: String,
    pub csrf: String,
}

/// A live web session.
#[derive(Debug, Clone)]
pub struct Session {
    pub workspace_id: Uuid,
    pub user_id: Uuid,
    /// The secret that forms and scripts of this session send back.
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub choices: Vec<Choice>,
}

/// The workspace (and, for a reset, the user) a valid one-time link is for.
#[derive(Debug, Clone)]
pub struct Link {
    pub workspace_id: Uuid,
    pub workspace_name: String,
    pub user_id: Option<Uuid>,
    pub email: Option<String>,
}

fn parse_time(v: &Json) -> Option<DateTime<Utc>> {
    v.as_str().and_then(rapport_domain::validate::parse_datetime)
}

fn email_key(email: &str) -> String {
    email.trim().to_lowercase().chars().take(320).collect()
}

impl Account {
    pub fn choice(&self) -> Choice {
        Choice { workspace_id: self.workspace_id, user_id: self.user_id, hash_digest: self.hash_digest.clone() }
    }
}

/// Active users with this email, with their workspace and password hash.
async fn candidates(tx: &mut Tx, email: &str) -> Result<Vec<(Account, Option<String>)>, StoreError> {
    let q = Query::select()
        .column((t("users"), t("workspace_id")))
        .column((t("workspaces"), t("name")))
        .column((t("users"), t("id")))
        .column((t("users"), t("name")))
        .column((t("users"), t("email")))
        .column((t("users"), t("role")))
        .column((t("users"), t("password_hash")))
        .from(t("users"))
        .inner_join(t("workspaces"), tc("workspaces", "id").equals((t("users"), t("workspace_id"))))
        .and_where(tc("users", "email").eq(email))
        .and_where(tc("users", "active").eq(true))
        .order_by((t("users"), t("workspace_id")), Order::Asc)
        .to_owned();
    let rows = tx.rows(&q, &[Col::Uuid, Col::Text, Col::Uuid, Col::Text, Col::Text, Col::Text, Col::Text]).await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let hash = str_at(r, 6).map(str::to_string);
            Some((
                Account {
                    workspace_id: uuid_at(r, 0)?,
                    workspace_name: str_at(r, 1)?.to_string(),
                    user_id: uuid_at(r, 2)?,
                    name: str_at(r, 3)?.to_string(),
                    email: str_at(r, 4)?.to_string(),
                    role: str_at(r, 5)?.to_string(),
                    hash_digest: token_digest(hash.as_deref().unwrap_or_default()),
                },
                hash,
            ))
        })
        .collect())
}

/// The password hash of an active user, if any.
async fn user_hash(tx: &mut Tx, workspace_id: Uuid, user_id: Uuid) -> Result<Option<(String, Option<String>)>, StoreError> {
    let q = Query::select()
        .columns([t("email"), t("password_hash")])
        .from(t("users"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("id")).eq(uuid(user_id)))
        .and_where(Expr::col(t("active")).eq(true))
        .to_owned();
    Ok(tx
        .row(&q, &[Col::Text, Col::Text])
        .await?
        .map(|r| (str_at(&r, 0).unwrap_or_default().to_string(), str_at(&r, 1).map(str::to_string))))
}

async fn lock_until(tx: &mut Tx, subject: &str, at: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError> {
    let q = Query::select()
        .column(t("until"))
        .from(t("login_locks"))
        .and_where(Expr::col(t("subject")).eq(subject))
        .and_where(Expr::col(t("until")).gt(time(at)))
        .to_owned();
    Ok(tx.row(&q, &[Col::DateTime]).await?.and_then(|r| parse_time(&r[0])))
}

async fn set_lock(tx: &mut Tx, subject: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
    let q = Query::insert()
        .into_table(t("login_locks"))
        .columns([t("subject"), t("until")])
        .values_panic([subject.into(), time(until).into()])
        .on_conflict(OnConflict::column(t("subject")).update_column(t("until")).to_owned())
        .to_owned();
    tx.exec(&q).await?;
    Ok(())
}

async fn record_attempt(tx: &mut Tx, email: &str, ip: Option<&str>, outcome: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
    let q = Query::insert()
        .into_table(t("login_attempts"))
        .columns(["id", "at", "email", "ip", "outcome"].map(t))
        .values_panic([uuid(new_id()).into(), time(at).into(), email.into(), ip.map(str::to_string).into(), outcome.into()])
        .to_owned();
    tx.exec(&q).await?;
    Ok(())
}

/// Failures for an email since the window opened or its last success, whichever is later.
async fn email_failures(tx: &mut Tx, email: &str, at: DateTime<Utc>) -> Result<i64, StoreError> {
    let last_ok = Query::select()
        .expr(Func::max(Expr::col(t("at"))))
        .from(t("login_attempts"))
        .and_where(Expr::col(t("email")).eq(email))
        .and_where(Expr::col(t("outcome")).eq("success"))
        .and_where(Expr::col(t("at")).gt(time(at - LOGIN_WINDOW)))
        .to_owned();
    let since = tx.row(&last_ok, &[Col::DateTime]).await?.and_then(|r| parse_time(&r[0])).unwrap_or(at - LOGIN_WINDOW);
    let q = Query::select()
        .expr(Func::count(Expr::col(t("id"))))
        .from(t("login_attempts"))
        .and_where(Expr::col(t("email")).eq(email))
        .and_where(Expr::col(t("outcome")).eq("failure"))
        .and_where(Expr::col(t("at")).gt(time(since)))
        .to_owned();
    Ok(tx.row(&q, &[Col::Int]).await?.and_then(|r| r[0].as_i64()).unwrap_or(0))
}

/// Failures (locked emails included) from an address within the window.
async fn address_failures(tx: &mut Tx, ip: &str, at: DateTime<Utc>) -> Result<i64, StoreError> {
    let q = Query::select()
        .expr(Func::count(Expr::col(t("id"))))
        .from(t("login_attempts"))
        .and_where(Expr::col(t("ip")).eq(ip))
        .and_where(Expr::col(t("outcome")).ne("success"))
        .and_where(Expr::col(t("at")).gt(time(at - LOGIN_WINDOW)))
        .to_owned();
    Ok(tx.row(&q, &[Col::Int]).await?.and_then(|r| r[0].as_i64()).unwrap_or(0))
}

/// One audit row per workspace the email belongs to (one without a workspace when none).
async fn audit_each(
    tx: &mut Tx,
    accounts: &[Account],
    email: &str,
    ip: Option<&str>,
    action: &str,
    detail: Json,
) -> Result<(), StoreError> {
    let targets: Vec<(Option<Uuid>, Option<Uuid>)> = if accounts.is_empty() {
        vec![(None, None)]
    } else {
        accounts.iter().map(|a| (Some(a.workspace_id), Some(a.user_id))).collect()
    };
    for (workspace_id, user_id) in targets {
        let e = Event {
            workspace_id,
            user_id,
            email: Some(email),
            ip,
            via: Via::Web.as_str(),
            action,
            record: None,
            detail: detail.clone(),
        };
        audit::write(tx, &e).await?;
    }
    Ok(())
}

async fn delete_user_sessions(tx: &mut Tx, workspace_id: Uuid, user_id: Uuid) -> Result<u64, StoreError> {
    let q = Query::delete()
        .from_table(t("sessions"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("user_id")).eq(uuid(user_id)))
        .to_owned();
    tx.exec(&q).await
}

async fn write_hash(tx: &mut Tx, workspace_id: Uuid, user_id: Uuid, hash: &str) -> Result<(), StoreError> {
    let q = Query::update()
        .table(t("users"))
        .value(t("password_hash"), hash)
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("id")).eq(uuid(user_id)))
        .to_owned();
    if tx.exec(&q).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

async fn has_users(tx: &mut Tx, workspace_id: Uuid) -> Result<bool, StoreError> {
    let q = Query::select()
        .column(t("id"))
        .from(t("users"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .limit(1)
        .to_owned();
    Ok(tx.row(&q, &[Col::Uuid]).await?.is_some())
}

/// Marks a link used; false when it was already used, has expired, or never existed.
async fn consume_link(tx: &mut Tx, token: &str, purpose: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
    let q = Query::update()
        .table(t("one_time_tokens"))
        .value(t("used_at"), time(at))
        .and_where(Expr::col(t("token_hash")).eq(token_digest(token)))
        .and_where(Expr::col(t("purpose")).eq(purpose))
        .and_where(Expr::col(t("used_at")).is_null())
        .and_where(Expr::col(t("expires_at")).gt(time(at)))
        .to_owned();
    Ok(tx.exec(&q).await? == 1)
}

impl Store {
    /// Checks an email and password, throttled per email and per client address.
    /// Records the attempt, and writes failures and lockouts to the audit log;
    /// the sign-in itself is logged when its session starts.
    pub async fn attempt_login(&self, email: &str, password: &str, ip: Option<&str>) -> Result<LoginOutcome, StoreError> {
        let at = now();
        let email = email_key(email);
        let email_subject = format!("email:{email}");
        let address_subject = ip.map(|i| format!("address:{i}"));

        let mut tx = self.db.read().await?;
        if let Some(s) = &address_subject
            && let Some(until) = lock_until(&mut tx, s, at).await?
        {
            tx.commit().await?;
            return Ok(LoginOutcome::AddressBlocked { until });
        }
        let email_lock = lock_until(&mut tx, &email_subject, at).await?;
        let found = candidates(&mut tx, &email).await?;
        tx.commit().await?;
        let accounts: Vec<Account> = found.iter().map(|(a, _)| a.clone()).collect();

        if let Some(until) = email_lock {
            let mut tx = self.db.write().await?;
            record_attempt(&mut tx, &email, ip, "locked", at).await?;
            let detail = json!({"reason": "email_locked", "until": rapport_domain::value::format_datetime(&until)});
            audit_each(&mut tx, &accounts, &email, ip, "login_failed", detail).await?;
            let blocked = self.maybe_block_address(&mut tx, &accounts, &email, ip, at).await?;
            tx.commit().await?;
            return Ok(blocked.unwrap_or(LoginOutcome::EmailLocked { until }));
        }

        let mut matched = Vec::new();
        let with_hash: Vec<&(Account, Option<String>)> = found.iter().filter(|(_, h)| h.is_some()).collect();
        if with_hash.is_empty() {
            verify_password(None, password).await;
        }
        for (account, hash) in with_hash {
            if verify_password(hash.as_deref(), password).await {
                matched.push(account.clone());
            }
        }

        let mut tx = self.db.write().await?;
        if !matched.is_empty() {
            record_attempt(&mut tx, &email, ip, "success", at).await?;
            tx.commit().await?;
            return Ok(LoginOutcome::Accepted(matched));
        }
        record_attempt(&mut tx, &email, ip, "failure", at).await?;
        let reason = if accounts.is_empty() { "unknown_email" } else { "wrong_password" };
        audit_each(&mut tx, &accounts, &email, ip, "login_failed", json!({"reason": reason})).await?;
        let mut outcome = LoginOutcome::Refused;
        let failures = email_failures(&mut tx, &email, at).await?;
        if failures >= EMAIL_MAX_FAILURES {
            let until = at + LOCK_DURATION;
            set_lock(&mut tx, &email_subject, until).await?;
            let detail =
                json!({"locked": "email", "failures": failures, "until": rapport_domain::value::format_datetime(&until)});
            audit_each(&mut tx, &accounts, &email, ip, "login_locked", detail).await?;
            outcome = LoginOutcome::EmailLocked { until };
        }
        if let Some(blocked) = self.maybe_block_address(&mut tx, &accounts, &email, ip, at).await? {
            outcome = blocked;
        }
        // Attempts are only needed for the window; keep a day for the curious.
        let prune = Query::delete()
            .from_table(t("login_attempts"))
            .and_where(Expr::col(t("at")).lt(time(at - Duration::days(1))))
            .to_owned();
        tx.exec(&prune).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn maybe_block_address(
        &self,
        tx: &mut Tx,
        accounts: &[Account],
        email: &str,
        ip: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Option<LoginOutcome>, StoreError> {
        let Some(ip) = ip else { return Ok(None) };
        let failures = address_failures(tx, ip, at).await?;
        if failures < ADDRESS_MAX_FAILURES {
            return Ok(None);
        }
        let until = at + LOCK_DURATION;
        set_lock(tx, &format!("address:{ip}"), until).await?;
        let detail = json!({"locked": "address", "failures": failures, "until": rapport_domain::value::format_datetime(&until)});
        audit_each(tx, accounts, email, Some(ip), "login_locked", detail).await?;
        Ok(Some(LoginOutcome::AddressBlocked { until }))
    }

    /// Starts a web session and logs the sign-in. Expired sessions are swept on the way.
    pub async fn start_session(&self, s: &NewSession<'_>) -> Result<Issued, StoreError> {
        let at = now();
        let issued = Issued { id: random_secret(), csrf: random_secret() };
        let mut tx = self.db.write().await?;
        let sweep = Query::delete().from_table(t("sessions")).and_where(Expr::col(t("expires_at")).lte(time(at))).to_owned();
        tx.exec(&sweep).await?;
        let ins = Query::insert()
            .into_table(t("sessions"))
            .columns(
                [
                    "id_hash",
                    "workspace_id",
                    "user_id",
                    "csrf",
                    "created_at",
                    "last_seen_at",
                    "expires_at",
                    "ip",
                    "user_agent",
                    "choices",
                ]
                .map(t),
            )
            .values_panic([
                token_digest(&issued.id).into(),
                uuid(s.workspace_id).into(),
                uuid(s.user_id).into(),
                issued.csrf.clone().into(),
                time(at).into(),
                time(at).into(),
                time(at + SESSION_IDLE).into(),
                s.ip.map(str::to_string).into(),
                s.user_agent.map(|u| u.chars().take(500).collect::<String>()).into(),
                serde_json::to_value(&s.choices).unwrap_or_else(|_| json!([])).into(),
            ])
            .to_owned();
        tx.exec(&ins).await?;
        let e = Event {
            workspace_id: Some(s.workspace_id),
            user_id: Some(s.user_id),
            email: s.email,
            ip: s.ip,
            via: Via::Web.as_str(),
            action: "login",
            record: None,
            detail: json!({"method": s.method}),
        };
        audit::write(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// The live session with this id, its idle limit pushed back (at most once a minute).
    pub async fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        if id.is_empty() || id.len() > 200 {
            return Ok(None);
        }
        let at = now();
        let digest = token_digest(id);
        let q = Query::select()
            .columns(["workspace_id", "user_id", "csrf", "created_at", "last_seen_at", "expires_at", "choices"].map(t))
            .from(t("sessions"))
            .and_where(Expr::col(t("id_hash")).eq(digest.clone()))
            .and_where(Expr::col(t("expires_at")).gt(time(at)))
            .and_where(Expr::col(t("created_at")).gt(time(at - SESSION_MAX_AGE)))
            .to_owned();
        let mut tx = self.db.read().await?;
        let row = tx.row(&q, &[Col::Uuid, Col::Uuid, Col::Text, Col::DateTime, Col::DateTime, Col::DateTime, Col::Json]).await?;
        tx.commit().await?;
        let Some(r) = row else { return Ok(None) };
        let (Some(workspace_id), Some(user_id), Some(csrf), Some(created_at), Some(last_seen), Some(mut expires_at)) =
            (uuid_at(&r, 0), uuid_at(&r, 1), str_at(&r, 2), parse_time(&r[3]), parse_time(&r[4]), parse_time(&r[5]))
        else {
            return Ok(None);
        };
        let choices: Vec<Choice> = serde_json::from_value(r[6].clone()).unwrap_or_default();
        if at - last_seen > Duration::seconds(60) {
            expires_at = at + SESSION_IDLE;
            let upd = Query::update()
                .table(t("sessions"))
                .value(t("last_seen_at"), time(at))
                .value(t("expires_at"), time(expires_at))
                .and_where(Expr::col(t("id_hash")).eq(digest))
                .to_owned();
            let mut tx = self.db.write().await?;
            tx.exec(&upd).await?;
            tx.commit().await?;
        }
        Ok(Some(Session { workspace_id, user_id, csrf: csrf.to_string(), created_at, expires_at, choices }))
    }

    /// Ends one session (signing out); logged when the session was live.
    pub async fn end_session(&self, id: &str, ip: Option<&str>) -> Result<(), StoreError> {
        let digest = token_digest(id);
        let mut tx = self.db.write().await?;
        let q = Query::select()
            .columns([t("workspace_id"), t("user_id")])
            .from(t("sessions"))
            .and_where(Expr::col(t("id_hash")).eq(digest.clone()))
            .to_owned();
        if let Some(r) = tx.row(&q, &[Col::Uuid, Col::Uuid]).await? {
            let del = Query::delete().from_table(t("sessions")).and_where(Expr::col(t("id_hash")).eq(digest)).to_owned();
            tx.exec(&del).await?;
            let e = Event {
                workspace_id: uuid_at(&r, 0),
                user_id: uuid_at(&r, 1),
                ip,
                via: Via::Web.as_str(),
                action: "logout",
                detail: json!({}),
                ..Event::default()
            };
            audit::write(&mut tx, &e).await?;
        }
        tx.commit().await
    }

    /// Ends every session of the scope's user, in every browser; returns how many.
    pub async fn end_all_sessions(&self, scope: &Scope) -> Result<u64, StoreError> {
        let user_id = scope.user_id.ok_or_else(|| StoreError::Forbidden("no user is signed in".into()))?;
        let mut tx = self.db.write().await?;
        let n = delete_user_sessions(&mut tx, scope.workspace_id, user_id).await?;
        audit::append(&mut tx, scope, "logout_everywhere", None, json!({"sessions": n})).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// A signed-in user's account as their own pages show it, whatever their
    /// role (portal users included); `None` when the user is gone or inactive.
    pub async fn account(&self, workspace_id: Uuid, user_id: Uuid) -> Result<Option<Account>, StoreError> {
        let mut tx = self.db.read().await?;
        let found = match user_hash(&mut tx, workspace_id, user_id).await? {
            Some((email, _)) => {
                candidates(&mut tx, &email).await?.into_iter().map(|(a, _)| a).find(|a| a.workspace_id == workspace_id)
            }
            None => None,
        };
        tx.commit().await?;
        Ok(found)
    }

    /// The session's user's other accounts it may switch to, with their workspaces.
    pub async fn session_accounts(&self, session: &Session) -> Result<Vec<Account>, StoreError> {
        let mut tx = self.db.read().await?;
        let mut out = Vec::new();
        for c in &session.choices {
            let Some((email, _)) = user_hash(&mut tx, c.workspace_id, c.user_id).await? else { continue };
            for (a, _) in candidates(&mut tx, &email).await? {
                if a.workspace_id == c.workspace_id && a.user_id == c.user_id && a.hash_digest == c.hash_digest {
                    out.push(a);
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Moves a session to another of its accounts: the old session ends and a
    /// new one starts, so the id changes. `None` when the account is not one the
    /// session may switch to (or its password has changed since sign-in).
    pub async fn switch_session(
        &self,
        id: &str,
        workspace_id: Uuid,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<Option<Issued>, StoreError> {
        let Some(session) = self.session(id).await? else { return Ok(None) };
        let accounts = self.session_accounts(&session).await?;
        let Some(target) = accounts.into_iter().find(|a| a.workspace_id == workspace_id) else { return Ok(None) };
        self.end_session_quietly(id).await?;
        let issued = self
            .start_session(&NewSession {
                workspace_id: target.workspace_id,
                user_id: target.user_id,
                email: Some(&target.email),
                ip,
                user_agent,
                method: "switch",
                choices: session.choices.clone(),
            })
            .await?;
        Ok(Some(issued))
    }

    /// Drops a session without logging it (a session replaced by another).
    pub async fn end_session_quietly(&self, id: &str) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        let del = Query::delete().from_table(t("sessions")).and_where(Expr::col(t("id_hash")).eq(token_digest(id))).to_owned();
        tx.exec(&del).await?;
        tx.commit().await
    }

    /// Sets a user's password (already checked by `check_new_password` and
    /// hashed) and ends all their sessions. `action` names the audit event.
    pub async fn set_password_hash(&self, scope: &Scope, user_id: Uuid, hash: &str, action: &str) -> Result<(), StoreError> {
        if scope.user_id != Some(user_id) {
            crate::access::require_admin(scope)?;
        }
        let mut tx = self.db.write().await?;
        write_hash(&mut tx, scope.workspace_id, user_id, hash).await?;
        let ended = delete_user_sessions(&mut tx, scope.workspace_id, user_id).await?;
        let mut detail = json!({"sessions_ended": ended});
        if scope.user_id != Some(user_id) {
            detail["for_user"] = json!(user_id);
        }
        audit::append(&mut tx, scope, action, Some((Kind::User, user_id)), detail).await?;
        tx.commit().await
    }

    /// Changes the scope's own password, given the current one. Every session
    /// of the user ends; the caller starts a new one for the browser at hand.
    pub async fn change_password(&self, scope: &Scope, current: &str, new: &str) -> Result<(), StoreError> {
        let user_id = scope.user_id.ok_or_else(|| StoreError::Forbidden("no user is signed in".into()))?;
        let mut tx = self.db.read().await?;
        let found = user_hash(&mut tx, scope.workspace_id, user_id).await?;
        tx.commit().await?;
        let (email, hash) = found.ok_or(StoreError::NotFound)?;
        if !verify_password(hash.as_deref(), current).await {
            return Err(ValidationErrors::single("current_password", "invalid", "the current password is not right").into());
        }
        check_new_password(new, &email)?;
        let hash = hash_password(new).await?;
        self.set_password_hash(scope, user_id, &hash, "password_changed").await
    }

    /// Whether the workspace still waits for its first user.
    pub async fn needs_setup(&self, workspace_id: Uuid) -> Result<bool, StoreError> {
        let mut tx = self.db.read().await?;
        let any = has_users(&mut tx, workspace_id).await?;
        tx.commit().await?;
        Ok(!any)
    }

    async fn create_link(
        &self,
        scope: &Scope,
        purpose: &str,
        user_id: Option<Uuid>,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        let at = now();
        let token = random_secret();
        let mut tx = self.db.write().await?;
        // One live link at a time: a new one replaces those not yet used.
        let mut old = Query::delete()
            .from_table(t("one_time_tokens"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("purpose")).eq(purpose))
            .and_where(Expr::col(t("used_at")).is_null())
            .to_owned();
        if let Some(u) = user_id {
            old.and_where(Expr::col(t("user_id")).eq(uuid(u)));
        }
        tx.exec(&old).await?;
        let ins = Query::insert()
            .into_table(t("one_time_tokens"))
            .columns(["token_hash", "purpose", "workspace_id", "user_id", "created_at", "expires_at"].map(t))
            .values_panic([
                token_digest(&token).into(),
                purpose.into(),
                uuid(scope.workspace_id).into(),
                opt_uuid(user_id).into(),
                time(at).into(),
                time(at + ttl).into(),
            ])
            .to_owned();
        tx.exec(&ins).await?;
        let record = user_id.map(|u| (Kind::User, u));
        audit::append(
            &mut tx,
            scope,
            &format!("{purpose}_link_created"),
            record,
            json!({"expires_in_minutes": ttl.num_minutes()}),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// A one-time link for creating the first admin of a workspace that has no
    /// user yet, valid a day; it replaces any earlier one.
    pub async fn create_setup_link(&self, workspace_id: Uuid) -> Result<String, StoreError> {
        self.create_link(&Scope::system(workspace_id, Via::System), SETUP, None, SETUP_LINK_TTL).await
    }

    /// A one-time link for setting a user's password, valid an hour; it replaces
    /// any earlier one of the user's. Admins (and the command line) only.
    pub async fn create_reset_link(&self, scope: &Scope, user_id: Uuid) -> Result<String, StoreError> {
        crate::access::require_admin(scope)?;
        let mut tx = self.db.read().await?;
        let exists = user_hash(&mut tx, scope.workspace_id, user_id).await?.is_some();
        tx.commit().await?;
        if !exists {
            return Err(StoreError::NotFound);
        }
        self.create_link(scope, RESET, Some(user_id), RESET_LINK_TTL).await
    }

    async fn link(&self, token: &str, purpose: &str) -> Result<Option<Link>, StoreError> {
        if token.is_empty() || token.len() > 200 {
            return Ok(None);
        }
        let at = now();
        let q = Query::select()
            .column((t("one_time_tokens"), t("workspace_id")))
            .column((t("workspaces"), t("name")))
            .column((t("one_time_tokens"), t("user_id")))
            .from(t("one_time_tokens"))
            .inner_join(t("workspaces"), tc("workspaces", "id").equals((t("one_time_tokens"), t("workspace_id"))))
            .and_where(tc("one_time_tokens", "token_hash").eq(token_digest(token)))
            .and_where(tc("one_time_tokens", "purpose").eq(purpose))
            .and_where(tc("one_time_tokens", "used_at").is_null())
            .and_where(tc("one_time_tokens", "expires_at").gt(time(at)))
            .to_owned();
        let mut tx = self.db.read().await?;
        let Some(r) = tx.row(&q, &[Col::Uuid, Col::Text, Col::Uuid]).await? else {
            tx.commit().await?;
            return Ok(None);
        };
        let (Some(workspace_id), Some(name)) = (uuid_at(&r, 0), str_at(&r, 1)) else { return Ok(None) };
        let user_id = uuid_at(&r, 2);
        let email = match user_id {
            Some(u) => match user_hash(&mut tx, workspace_id, u).await? {
                Some((email, _)) => Some(email),
                None => return Ok(None),
            },
            None => None,
        };
        tx.commit().await?;
        Ok(Some(Link { workspace_id, workspace_name: name.to_string(), user_id, email }))
    }

    /// The workspace a live setup link is for; `None` when the link is unknown,
    /// used or expired, or the workspace already has users.
    pub async fn setup_link(&self, token: &str) -> Result<Option<Link>, StoreError> {
        let Some(link) = self.link(token, SETUP).await? else { return Ok(None) };
        Ok(self.needs_setup(link.workspace_id).await?.then_some(link))
    }

    /// The user a live reset link is for.
    pub async fn reset_link(&self, token: &str) -> Result<Option<Link>, StoreError> {
        self.link(token, RESET).await
    }

    /// Uses a setup link: creates the workspace's first user, an admin with this
    /// password. `NotFound` when the link is not (or no longer) valid.
    pub async fn complete_setup(
        &self,
        token: &str,
        name: &str,
        email: &str,
        password: &str,
        ip: Option<&str>,
    ) -> Result<Account, StoreError> {
        let link = self.setup_link(token).await?.ok_or(StoreError::NotFound)?;
        check_new_password(password, email)?;
        let hash = hash_password(password).await?;
        let mut tx = self.db.write().await?;
        if has_users(&mut tx, link.workspace_id).await? || !consume_link(&mut tx, token, SETUP, now()).await? {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        let mut scope = Scope::system(link.workspace_id, Via::Web);
        scope.ip = ip.map(str::to_string);
        let input = json!({"email": email, "name": name, "role": "admin"});
        let Json::Object(input) = input else { unreachable!("a JSON object") };
        let created = self.create(&scope, Kind::User, &input, &Default::default()).await;
        let user = match created {
            Ok((user, _)) => user,
            Err(e) => {
                // Give the link back so that the form can be corrected and sent again.
                let mut tx = self.db.write().await?;
                let undo = Query::update()
                    .table(t("one_time_tokens"))
                    .value(t("used_at"), Expr::value(sea_query::Value::ChronoDateTimeUtc(None)))
                    .and_where(Expr::col(t("token_hash")).eq(token_digest(token)))
                    .to_owned();
                tx.exec(&undo).await?;
                tx.commit().await?;
                return Err(e);
            }
        };
        let user_id = user.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()).ok_or(StoreError::NotFound)?;
        let email = user.get("email").and_then(Json::as_str).unwrap_or(email).to_string();
        let mut tx = self.db.write().await?;
        write_hash(&mut tx, link.workspace_id, user_id, &hash).await?;
        audit::append(&mut tx, &scope, "setup_completed", Some((Kind::User, user_id)), json!({"email": email})).await?;
        tx.commit().await?;
        Ok(Account {
            workspace_id: link.workspace_id,
            workspace_name: link.workspace_name,
            user_id,
            name: name.trim().to_string(),
            email,
            role: "admin".into(),
            hash_digest: token_digest(&hash),
        })
    }

    /// Uses a reset link: sets the new password and ends every session of the
    /// user. `NotFound` when the link is not (or no longer) valid.
    pub async fn complete_reset(&self, token: &str, password: &str, ip: Option<&str>) -> Result<Account, StoreError> {
        let link = self.reset_link(token).await?.ok_or(StoreError::NotFound)?;
        let (Some(user_id), Some(email)) = (link.user_id, link.email.clone()) else { return Err(StoreError::NotFound) };
        check_new_password(password, &email)?;
        let hash = hash_password(password).await?;
        let mut tx = self.db.write().await?;
        if !consume_link(&mut tx, token, RESET, now()).await? {
            return Err(StoreError::NotFound);
        }
        write_hash(&mut tx, link.workspace_id, user_id, &hash).await?;
        let ended = delete_user_sessions(&mut tx, link.workspace_id, user_id).await?;
        // Whoever holds the link may sign in again at once.
        let unlock = Query::delete()
            .from_table(t("login_locks"))
            .and_where(Expr::col(t("subject")).eq(format!("email:{email}")))
            .to_owned();
        tx.exec(&unlock).await?;
        record_attempt(&mut tx, &email_key(&email), ip, "success", now()).await?;
        let e = Event {
            workspace_id: Some(link.workspace_id),
            user_id: Some(user_id),
            email: Some(&email),
            ip,
            via: Via::Web.as_str(),
            action: "password_reset",
            record: Some((Kind::User, user_id)),
            detail: json!({"sessions_ended": ended}),
        };
        audit::write(&mut tx, &e).await?;
        tx.commit().await?;
        let mut tx = self.db.read().await?;
        let account = candidates(&mut tx, &email).await?.into_iter().map(|(a, _)| a).find(|a| a.user_id == user_id);
        tx.commit().await?;
        account.ok_or(StoreError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_are_checked() {
        assert!(check_new_password("short", "a@b.example").is_err());
        assert!(check_new_password("a@b.example", "A@B.example").is_err());
        assert!(check_new_password(&"x".repeat(MAX_PASSWORD_BYTES + 1), "a@b.example").is_err());
        assert!(check_new_password("correct horse battery", "a@b.example").is_ok());
        // Characters, not bytes: ten accented letters are enough.
        assert!(check_new_password("éééééééééé", "a@b.example").is_ok());
    }

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash_password("correct horse battery").await.unwrap();
        let b = hash_password("correct horse battery").await.unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_password(Some(&a), "correct horse battery").await);
        assert!(!verify_password(Some(&a), "correct horse battery!").await);
        assert!(!verify_password(None, "correct horse battery").await);
        assert!(!verify_password(Some("not a hash"), "x").await);
    }
}
