//! A small browser for tests of the sign-in pages: it keeps cookies, follows
//! no redirects (so that every `Set-Cookie` and `Location` can be checked),
//! sends forms, and reads hidden fields out of the HTML.

use std::collections::BTreeMap;
use std::time::Duration;

use rapport_store::{Scope, Via};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use uuid::Uuid;

use crate::{Answer, TestApp};

/// A page as the browser received it.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Every `Set-Cookie` header, whole.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
    }
    /// The `Set-Cookie` header for this cookie name.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().into_iter().find(|c| c.split_once('=').is_some_and(|(n, _)| n.trim() == name))
    }
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }
    /// The value of the form field with this name (first one on the page).
    pub fn field(&self, name: &str) -> Option<String> {
        field_value(&self.body, name)
    }
    /// The `href` of the link with this `id`, as the browser would follow it.
    pub fn href_of(&self, id: &str) -> Option<String> {
        let at = self.body.find(&format!("id=\"{id}\""))?;
        let start = self.body[..at].rfind('<')?;
        let tag = &self.body[start..at + self.body[at..].find('>')?];
        let v = tag.split("href=\"").nth(1)?;
        Some(unescape(&v[..v.find('"')?]))
    }
}

/// The `value` of the first `<input name="NAME" ...>` in the HTML.
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let at = html.find(&needle)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let v = tag.split("value=\"").nth(1)?;
    Some(unescape(&v[..v.find('"')?]))
}

fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&#61;", "=")
        .replace("&amp;", "&")
}

/// `application/x-www-form-urlencoded`
pub fn encode_form(fields: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => out.push(b as char),
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

pub struct Browser {
    pub base: String,
    client: reqwest::Client,
    /// The cookies the browser holds, by name.
    pub cookies: BTreeMap<String, String>,
    /// Headers sent with every request (e.g. X-Forwarded-Proto).
    pub extra_headers: Vec<(String, String)>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Browser { base: app.base.clone(), client, cookies: BTreeMap::new(), extra_headers: vec![] }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    fn builder(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            let jar = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            req = req.header("cookie", jar);
        }
        for (k, v) in &self.extra_headers {
            req = req.header(k.as_str(), v.as_str());
        }
        req
    }

    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for c in headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let mut parts = c.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else { continue };
            let expired = parts.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            if expired || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies.insert(name.trim().to_string(), value.trim().to_string());
            }
        }
    }

    async fn page(&mut self, req: reqwest::RequestBuilder) -> Page {
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        self.keep_cookies(&headers);
        let body = res.text().await.expect("body");
        Page { status, headers, body }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.builder(Method::GET, path);
        self.page(req).await
    }

    /// Sends a form as a browser would.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let req = self
            .builder(Method::POST, path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_form(fields));
        self.page(req).await
    }

    /// Calls the JSON API with the browser's cookies (as the web UI's scripts do).
    pub async fn api(&mut self, method: Method, path: &str, body: Option<&Value>, headers: &[(&str, &str)]) -> Answer {
        let mut req = self.builder(method, path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.expect("request");
        self.keep_cookies(res.headers());
        TestApp::answer(res).await
    }

    /// Opens the sign-in page and sends the form; answers the form's response.
    pub async fn login(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let csrf = form.field("csrf").unwrap_or_default();
        self.post_form("/login", &[("csrf", &csrf), ("email", email), ("password", password)]).await
    }

    /// The CSRF token of the signed-in session, read from the account page.
    pub async fn session_csrf(&mut self) -> String {
        let page = self.get("/account").await;
        assert_eq!(page.status, StatusCode::OK, "the account page needs a session: {}", page.body);
        page.field("csrf").expect("a csrf field on the account page")
    }
}

impl TestApp {
    /// Gives a user a password, as `rapport user add --password-stdin` does.
    pub async fn set_password(&self, user_id: Uuid, password: &str) {
        let hash = rapport_store::auth::hash_password(password).await.expect("hash");
        let system = Scope::system(self.scope.workspace_id, Via::Cli);
        self.store.set_password_hash(&system, user_id, &hash, "password_set").await.expect("set password");
    }

    /// A browser for this app.
    pub fn browser(&self) -> Browser {
        Browser::new(self)
    }
}
