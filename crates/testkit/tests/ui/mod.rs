//! The harness of the browser tests: one headless Chromium per test file,
//! driven over the DevTools protocol; each journey gets its own browser
//! context (its own cookies) and its own Rapport, at desktop and at phone
//! width. Any console error, uncaught exception or Content-Security-Policy
//! violation fails the journey; every main page is checked with axe-core and
//! photographed into `target/screenshots/`.
//!
//! Without a Chromium binary (or without axe-core) the tests say SKIPPED
//! loudly and pass, except under CI, where both are installed by `.ci/run`.

// Shared by every ui_*.rs file, each of which uses a part of it.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::emulation::{SetDeviceMetricsOverrideParams, SetTouchEmulationEnabledParams};
use chromiumoxide::cdp::browser_protocol::input::{
    DispatchDragEventParams, DispatchDragEventType, DispatchKeyEventParams, DispatchKeyEventType, DispatchMouseEventParams,
    DispatchMouseEventType, EventDragIntercepted, InsertTextParams, MouseButton, SetInterceptDragsParams,
};
use chromiumoxide::cdp::browser_protocol::log::{EventEntryAdded, LogEntryLevel};
use chromiumoxide::cdp::browser_protocol::page::{
    AddScriptToEvaluateOnNewDocumentParams, CaptureScreenshotFormat, CaptureScreenshotParams, Viewport,
};
use chromiumoxide::cdp::browser_protocol::target::{CreateBrowserContextParams, CreateTargetParams};
use chromiumoxide::cdp::js_protocol::runtime::{
    ConsoleApiCalledType, EvaluateParams, EventConsoleApiCalled, EventExceptionThrown,
};
use chromiumoxide::page::Page;
use futures::StreamExt;
use rapport_testkit::TestApp;
use rapport_testkit::serde_json::{self, Value};
use tokio::sync::Semaphore;

/// The password the journeys give the admin of their app.
pub const PASSWORD: &str = "correct horse battery";
/// The admin every `TestApp` has.
pub const ADMIN_EMAIL: &str = "admin@example.com";

/// How long one step (a page load, an element to appear) may take.
const STEP: Duration = Duration::from_secs(30);
/// How long loading the demo company may take (a busy CI machine, two at once).
pub const SLOW_STEP: Duration = Duration::from_secs(120);
/// How many journeys run at once (the machine has two cores).
const PARALLEL: usize = 3;

/// The environment variable naming the Chromium binary.
pub const CHROMIUM_ENV: &str = "RAPPORT_CHROMIUM";
/// The environment variable naming `axe.min.js`.
pub const AXE_ENV: &str = "RAPPORT_AXE_JS";

fn workspace_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where `.ci/run` installs axe-core (`npm install --prefix target/tools axe-core`).
pub fn default_axe_path() -> PathBuf {
    workspace_dir().join("target/tools/node_modules/axe-core/axe.min.js")
}

/// Where the screenshots go, as the README says.
pub fn screenshot_dir() -> PathBuf {
    workspace_dir().join("target/screenshots")
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

fn loud_skip(what: &str) {
    use std::io::Write;
    let bar = "!".repeat(78);
    // Straight to stderr: the test harness would swallow eprintln! from a passing test.
    let _ = writeln!(std::io::stderr(), "\n{bar}\nSKIPPED: {what}\n{bar}\n");
}

fn find_chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var(CHROMIUM_ENV) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    ["chromium", "chromium-browser"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// The two widths every journey runs at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    Desktop,
    Phone,
}

impl Width {
    pub const ALL: [Width; 2] = [Width::Desktop, Width::Phone];

    pub fn name(self) -> &'static str {
        match self {
            Width::Desktop => "desktop",
            Width::Phone => "phone",
        }
    }
    fn size(self) -> (i64, i64) {
        match self {
            Width::Desktop => (1280, 800),
            Width::Phone => (375, 812),
        }
    }
    pub fn is_phone(self) -> bool {
        self == Width::Phone
    }
}

/// One Chromium process, shared by the journeys of a test file.
pub struct Chrome {
    browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
    axe: Option<Arc<String>>,
    gate: Semaphore,
}

impl Chrome {
    /// Starts Chromium, or says SKIPPED and answers `None` when there is none (outside CI).
    pub async fn launch() -> Option<Chrome> {
        let Some(exe) = find_chromium() else {
            assert!(!in_ci(), "no Chromium binary under CI: .ci/run installs it (apt-get install chromium)");
            loud_skip(&format!("browser tests: no chromium binary found (install Debian's chromium, or set {CHROMIUM_ENV})"));
            return None;
        };
        let axe_path = std::env::var(AXE_ENV).map(PathBuf::from).unwrap_or_else(|_| default_axe_path());
        let axe = match std::fs::read_to_string(&axe_path) {
            Ok(s) => Some(Arc::new(s)),
            Err(_) => {
                assert!(!in_ci(), "no axe-core at {} under CI: .ci/run installs it", axe_path.display());
                loud_skip(&format!(
                    "accessibility checks: no axe-core at {} (npm install --prefix target/tools axe-core, or set {AXE_ENV})",
                    axe_path.display()
                ));
                None
            }
        };
        let profile = tempfile::tempdir().expect("profile dir");
        let config = BrowserConfig::builder()
            .chrome_executable(exe)
            .user_data_dir(profile.path())
            .no_sandbox()
            .viewport(None)
            .launch_timeout(Duration::from_secs(60))
            .request_timeout(Duration::from_secs(60))
            // Names without their dashes: the launcher adds them. With
            // --headless and --no-sandbox (from the builder), the flags a closed
            // network and a root user need.
            .args([
                "disable-gpu",
                "no-first-run",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                "disable-quic",
            ])
            .build()
            .expect("browser config");
        let (browser, mut handler) = Browser::launch(config).await.expect("launch chromium");
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Some(Chrome { browser, handler, _profile: profile, axe, gate: Semaphore::new(PARALLEL) })
    }

    async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(10), self.browser.close()).await;
        let _ = tokio::time::timeout(Duration::from_secs(10), self.browser.wait()).await;
        self.handler.abort();
    }

    /// A new tab in a browser context of its own, at this width, on this app.
    pub async fn tab(&self, base: &str, width: Width, label: &str) -> Tab {
        let context = self.browser.create_browser_context(CreateBrowserContextParams::default()).await.expect("browser context");
        let params =
            CreateTargetParams::builder().url("about:blank").browser_context_id(context.clone()).build().expect("target params");
        let page = self.browser.new_page(params).await.expect("new page");
        let errors = Arc::new(Mutex::new(Vec::new()));
        listen(&page, errors.clone()).await;
        page.enable_log().await.expect("Log.enable");
        page.enable_runtime().await.expect("Runtime.enable");
        // Belt and braces: a violation also reaches the page's own listener.
        page.execute(AddScriptToEvaluateOnNewDocumentParams::new(
            "document.addEventListener('securitypolicyviolation', function (e) { \
             console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + \
             ' at ' + e.sourceFile + ':' + e.lineNumber); });",
        ))
        .await
        .expect("init script");
        let (w, h) = width.size();
        let mobile = width.is_phone();
        page.execute(SetDeviceMetricsOverrideParams::new(w, h, if mobile { 2.0 } else { 1.0 }, mobile)).await.expect("metrics");
        if mobile {
            page.execute(SetTouchEmulationEnabledParams::builder().enabled(true).max_touch_points(5).build().expect("touch"))
                .await
                .expect("touch");
        }
        Tab {
            page,
            base: base.to_string(),
            width,
            label: format!("{label} @{}", width.name()),
            errors,
            allowed: Mutex::new(Vec::new()),
            axe: self.axe.clone(),
        }
    }
}

async fn listen(page: &Page, errors: Arc<Mutex<Vec<String>>>) {
    let mut exceptions = page.event_listener::<EventExceptionThrown>().await.expect("listen");
    let mut console = page.event_listener::<EventConsoleApiCalled>().await.expect("listen");
    let mut log = page.event_listener::<EventEntryAdded>().await.expect("listen");
    let e1 = errors.clone();
    tokio::spawn(async move {
        while let Some(ev) = exceptions.next().await {
            let d = &ev.exception_details;
            let what = d.exception.as_ref().and_then(|e| e.description.clone()).unwrap_or_default();
            e1.lock().unwrap().push(format!(
                "uncaught exception: {} {what} ({}:{})",
                d.text,
                d.url.clone().unwrap_or_default(),
                d.line_number + 1
            ));
        }
    });
    let e2 = errors.clone();
    tokio::spawn(async move {
        while let Some(ev) = console.next().await {
            if matches!(ev.r#type, ConsoleApiCalledType::Error | ConsoleApiCalledType::Assert) {
                let args: Vec<String> = ev
                    .args
                    .iter()
                    .map(|a| a.value.as_ref().map(|v| v.to_string()).or_else(|| a.description.clone()).unwrap_or_default())
                    .collect();
                e2.lock().unwrap().push(format!("console.error: {}", args.join(" ")));
            }
        }
    });
    tokio::spawn(async move {
        while let Some(ev) = log.next().await {
            if ev.entry.level == LogEntryLevel::Error {
                let e = &ev.entry;
                errors.lock().unwrap().push(format!(
                    "console ({}): {} {}",
                    e.source.as_ref(),
                    e.text,
                    e.url.clone().unwrap_or_default()
                ));
            }
        }
    });
}

/// A page in its own browser context.
pub struct Tab {
    pub page: Page,
    pub base: String,
    pub width: Width,
    pub label: String,
    errors: Arc<Mutex<Vec<String>>>,
    allowed: Mutex<Vec<String>>,
    axe: Option<Arc<String>>,
}

/// A CSS selector as a JavaScript string literal.
pub fn js(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

impl Tab {
    /// Evaluates an expression in the page (promises awaited) and answers its JSON value.
    pub async fn eval(&self, expr: &str) -> Value {
        let params = EvaluateParams::builder()
            .expression(expr)
            .await_promise(true)
            .return_by_value(true)
            .build()
            .expect("evaluate params");
        let res = self.page.execute(params).await.unwrap_or_else(|e| panic!("[{}] evaluate {expr}: {e}", self.label));
        if let Some(ex) = &res.result.exception_details {
            let what = ex.exception.as_ref().and_then(|e| e.description.clone()).unwrap_or_default();
            panic!("[{}] evaluate {expr}: {} {what}", self.label, ex.text);
        }
        res.result.result.value.clone().unwrap_or(Value::Null)
    }

    /// Evaluates an expression that may fail while a page loads; `None` then.
    async fn try_eval(&self, expr: &str) -> Option<Value> {
        let params = EvaluateParams::builder()
            .expression(expr)
            .await_promise(true)
            .return_by_value(true)
            .build()
            .expect("evaluate params");
        let res = tokio::time::timeout(Duration::from_secs(5), self.page.execute(params)).await.ok()?.ok()?;
        if res.result.exception_details.is_some() {
            return None;
        }
        Some(res.result.result.value.clone().unwrap_or(Value::Null))
    }

    /// Waits until a JavaScript condition holds on a fully loaded page.
    pub async fn wait_for(&self, condition: &str, what: &str) {
        self.wait_for_within(condition, what, STEP).await;
    }

    /// `wait_for` with a time limit of its own.
    pub async fn wait_for_within(&self, condition: &str, what: &str, limit: Duration) {
        let started = Instant::now();
        let expr = format!("document.readyState === 'complete' && !!({condition})");
        loop {
            if self.try_eval(&expr).await == Some(Value::Bool(true)) {
                return;
            }
            // An error on the page (a 404, an exception) will not go away: say so now.
            let failing = self.unexpected_errors();
            if !failing.is_empty() && started.elapsed() > Duration::from_millis(500) {
                let url = self.try_eval("location.href").await.unwrap_or_default();
                panic!("[{}] while waiting for {what} at {url}: console errors:\n  {}", self.label, failing.join("\n  "));
            }
            if started.elapsed() > limit {
                let url = self.try_eval("location.href").await.unwrap_or_default();
                let errors = self.errors.lock().unwrap().clone();
                panic!("[{}] waited {limit:?} for {what} ({condition}); at {url}; console: {errors:?}", self.label);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// How many elements match the selector.
    pub async fn count(&self, selector: &str) -> usize {
        self.eval(&format!("document.querySelectorAll({}).length", js(selector))).await.as_u64().unwrap_or(0) as usize
    }

    /// Opens a `<details>` (a disclosure) if it is closed, by clicking its summary.
    pub async fn open_details(&self, selector: &str) {
        self.wait_for_element(selector).await;
        if self.eval(&format!("document.querySelector({}).open", js(selector))).await != Value::Bool(true) {
            self.click(&format!("{selector} > summary")).await;
            self.wait_for(&format!("document.querySelector({}).open", js(selector)), &format!("{selector} open")).await;
        }
    }

    /// Waits for an element matching the selector.
    pub async fn wait_for_element(&self, selector: &str) {
        self.wait_for(&format!("document.querySelector({})", js(selector)), &format!("element {selector}")).await;
    }

    /// Marks the current document so that `wait_for_new_page` can tell when another one has loaded.
    pub async fn mark(&self) {
        self.eval("window.__rapportOld = true").await;
    }

    pub async fn wait_for_new_page(&self, what: &str) {
        self.wait_for("window.__rapportOld === undefined", what).await;
    }

    /// Opens a path of the app and waits for the page to load.
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.mark().await;
        self.eval(&format!("location.href = {}", js(&url))).await;
        self.wait_for_new_page(&format!("the page {path}")).await;
    }

    /// The path (and query) of the page shown.
    pub async fn path(&self) -> String {
        self.eval("location.pathname + location.search").await.as_str().unwrap_or_default().to_string()
    }

    pub async fn exists(&self, selector: &str) -> bool {
        self.eval(&format!("!!document.querySelector({})", js(selector))).await == Value::Bool(true)
    }

    /// The visible text of the first element matching the selector.
    pub async fn text(&self, selector: &str) -> String {
        self.wait_for_element(selector).await;
        self.eval(&format!("document.querySelector({}).innerText", js(selector))).await.as_str().unwrap_or_default().to_string()
    }

    /// The visible text of the whole page.
    pub async fn body_text(&self) -> String {
        self.eval("document.body.innerText").await.as_str().unwrap_or_default().to_string()
    }

    /// The middle of the element, scrolled into view, in CSS pixels of the viewport.
    pub async fn point(&self, selector: &str) -> (f64, f64) {
        self.place(selector, true).await
    }

    async fn place(&self, selector: &str, scroll: bool) -> (f64, f64) {
        self.wait_for_element(selector).await;
        let v = self
            .eval(&format!(
                "(function () {{ var e = document.querySelector({}); if ({scroll}) e.scrollIntoView({{block: 'center', inline: 'center'}}); \
                 var r = e.getBoundingClientRect(); var v = window.visualViewport || {{offsetLeft: 0, offsetTop: 0, scale: 1}}; \
                 return [(r.left + r.width / 2 - v.offsetLeft) * v.scale, (r.top + r.height / 2 - v.offsetTop) * v.scale, r.width, r.height, \
                 r.left + r.width / 2, r.top + r.height / 2]; }})()",
                js(selector)
            ))
            .await;
        let n = |i: usize| v[i].as_f64().unwrap_or(0.0);
        assert!(n(2) > 0.0 && n(3) > 0.0, "[{}] {selector} is not visible (size {}x{})", self.label, n(2), n(3));
        if scroll {
            // A person could not click it if something else is drawn on top.
            let top = self
                .eval(&format!(
                    "(function () {{ var e = document.querySelector({}); var t = document.elementFromPoint({}, {}); \
                     return !t || e === t || e.contains(t) || t.contains(e) ? '' : t.outerHTML.slice(0, 200); }})()",
                    js(selector),
                    n(4),
                    n(5)
                ))
                .await;
            let top = top.as_str().unwrap_or_default();
            assert!(top.is_empty(), "[{}] {selector} is covered by {top}", self.label);
        }
        (n(0), n(1))
    }

    async fn mouse(&self, kind: DispatchMouseEventType, (x, y): (f64, f64), buttons: i64) {
        let mut p = DispatchMouseEventParams::builder().r#type(kind.clone()).x(x).y(y).buttons(buttons);
        if matches!(kind, DispatchMouseEventType::MousePressed | DispatchMouseEventType::MouseReleased) {
            p = p.button(MouseButton::Left).click_count(1);
        } else if buttons == 1 {
            // Chromium starts a drag only for a move that names the button held.
            p = p.button(MouseButton::Left);
        }
        self.page.execute(p.build().expect("mouse")).await.expect("mouse event");
    }

    /// Clicks the element with real mouse events, as a person would.
    pub async fn click(&self, selector: &str) {
        let at = self.point(selector).await;
        self.mouse(DispatchMouseEventType::MouseMoved, at, 0).await;
        self.mouse(DispatchMouseEventType::MousePressed, at, 1).await;
        self.mouse(DispatchMouseEventType::MouseReleased, at, 0).await;
    }

    /// Clicks a button whose work takes long (loading the demo company) and waits for the next page.
    pub async fn click_to_slow_page(&self, selector: &str) {
        self.mark().await;
        self.click(selector).await;
        self.wait_for_within("window.__rapportOld === undefined", &format!("a new page after clicking {selector}"), SLOW_STEP)
            .await;
    }

    /// Clicks and waits for the next page to load (a link or a form's submit button).
    pub async fn click_to_page(&self, selector: &str) {
        self.mark().await;
        self.click(selector).await;
        self.wait_for_new_page(&format!("a new page after clicking {selector}")).await;
    }

    /// Types into a field with key events, after emptying it.
    pub async fn fill(&self, selector: &str, text: &str) {
        self.wait_for_element(selector).await;
        self.eval(&format!(
            "(function () {{ var e = document.querySelector({}); e.focus(); e.select && e.select(); }})()",
            js(selector)
        ))
        .await;
        self.key("Backspace").await;
        self.page.execute(InsertTextParams::new(text)).await.expect("insert text");
        let got = self.eval(&format!("document.querySelector({}).value", js(selector))).await;
        assert_eq!(got.as_str(), Some(text), "[{}] typing into {selector}", self.label);
    }

    /// Types into whatever has the focus, as a keyboard would.
    pub async fn type_text(&self, text: &str) {
        self.page.execute(InsertTextParams::new(text)).await.expect("insert text");
    }

    /// Sets a value the way a picker would (selects, dates): assigns it and fires input and change.
    pub async fn set_value(&self, selector: &str, value: &str) {
        self.wait_for_element(selector).await;
        self.eval(&format!(
            "(function () {{ var e = document.querySelector({}); e.focus(); e.value = {}; \
             e.dispatchEvent(new Event('input', {{bubbles: true}})); e.dispatchEvent(new Event('change', {{bubbles: true}})); }})()",
            js(selector),
            js(value)
        ))
        .await;
    }

    /// Chooses the option of a `<select>` whose visible text contains `label`.
    pub async fn select_by_text(&self, selector: &str, label: &str) {
        self.wait_for_element(selector).await;
        let found = self
            .eval(&format!(
                "(function () {{ var s = document.querySelector({}); for (var i = 0; i < s.options.length; i++) {{ \
                 if (s.options[i].text.indexOf({}) >= 0) {{ s.selectedIndex = i; \
                 s.dispatchEvent(new Event('change', {{bubbles: true}})); return true; }} }} return false; }})()",
                js(selector),
                js(label)
            ))
            .await;
        assert_eq!(found, Value::Bool(true), "[{}] no option {label:?} in {selector}", self.label);
    }

    /// Presses a key (`Enter`, `Backspace`, `Escape`, `ArrowDown`, or a letter) with modifiers (2 = Ctrl).
    pub async fn key_with(&self, key: &str, modifiers: i64) {
        let (code, vk, text) = match key {
            "Enter" => ("Enter".to_string(), 13, Some("\r".to_string())),
            "Backspace" => ("Backspace".to_string(), 8, None),
            "Escape" => ("Escape".to_string(), 27, None),
            "ArrowDown" => ("ArrowDown".to_string(), 40, None),
            "ArrowUp" => ("ArrowUp".to_string(), 38, None),
            "Tab" => ("Tab".to_string(), 9, None),
            k if k.len() == 1 => {
                let c = k.chars().next().unwrap_or('a');
                (format!("Key{}", c.to_ascii_uppercase()), c.to_ascii_uppercase() as i64, Some(k.to_string()))
            }
            other => panic!("no key code for {other}"),
        };
        let text = if modifiers & 2 != 0 { None } else { text };
        let mut down = DispatchKeyEventParams::builder()
            .r#type(if text.is_some() { DispatchKeyEventType::KeyDown } else { DispatchKeyEventType::RawKeyDown })
            .key(key)
            .code(code.clone())
            .windows_virtual_key_code(vk)
            .native_virtual_key_code(vk)
            .modifiers(modifiers);
        if let Some(t) = &text {
            down = down.text(t.clone()).unmodified_text(t.clone());
        }
        self.page.execute(down.build().expect("key")).await.expect("key down");
        let up = DispatchKeyEventParams::builder()
            .r#type(DispatchKeyEventType::KeyUp)
            .key(key)
            .code(code)
            .windows_virtual_key_code(vk)
            .native_virtual_key_code(vk)
            .modifiers(modifiers)
            .build()
            .expect("key");
        self.page.execute(up).await.expect("key up");
    }

    pub async fn key(&self, key: &str) {
        self.key_with(key, 0).await;
    }

    /// Drags one element onto another with real mouse events; when the page
    /// uses native drag and drop, Chromium hands the drag over and it is
    /// carried on with drag events.
    pub async fn drag(&self, from: &str, to: &str) {
        let start = self.point(from).await;
        let end = self.place(to, false).await;
        let mut intercepted = self.page.event_listener::<EventDragIntercepted>().await.expect("listen");
        self.page.execute(SetInterceptDragsParams::new(true)).await.expect("intercept drags");
        self.mouse(DispatchMouseEventType::MouseMoved, start, 0).await;
        self.mouse(DispatchMouseEventType::MousePressed, start, 1).await;
        for i in 1..=10 {
            let f = i as f64 / 10.0;
            let at = (start.0 + (end.0 - start.0) * f, start.1 + (end.1 - start.1) * f);
            self.mouse(DispatchMouseEventType::MouseMoved, at, 1).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let data = match tokio::time::timeout(Duration::from_secs(5), intercepted.next()).await {
            Ok(Some(ev)) => Some(ev.data.clone()),
            _ => None,
        };
        let native = self.eval(&format!("document.querySelector({}).closest('[draggable=true]') !== null", js(from))).await;
        assert!(data.is_some() || native != Value::Bool(true), "[{}] dragging {from}: the browser started no drag", self.label);
        if let Some(data) = data {
            for kind in [DispatchDragEventType::DragEnter, DispatchDragEventType::DragOver, DispatchDragEventType::Drop] {
                let p =
                    DispatchDragEventParams::builder().r#type(kind).x(end.0).y(end.1).data(data.clone()).build().expect("drag");
                self.page.execute(p).await.expect("drag event");
            }
        }
        self.mouse(DispatchMouseEventType::MouseReleased, end, 0).await;
        self.page.execute(SetInterceptDragsParams::new(false)).await.expect("intercept drags");
    }

    /// Turns the page's own scripts off (the harness still reads the page),
    /// to check that plain links and forms work before any script runs.
    pub async fn disable_scripts(&self) {
        use chromiumoxide::cdp::browser_protocol::emulation::SetScriptExecutionDisabledParams;
        self.page.execute(SetScriptExecutionDisabledParams::new(true)).await.expect("disable scripts");
    }

    /// Tolerates console errors containing this text (e.g. an expected 422 from a form).
    pub fn allow_console(&self, text: &str) {
        self.allowed.lock().unwrap().push(text.to_string());
    }

    /// The console errors so far that are not allowed (kept).
    fn unexpected_errors(&self) -> Vec<String> {
        let allowed = self.allowed.lock().unwrap().clone();
        self.errors.lock().unwrap().iter().filter(|e| !allowed.iter().any(|a| e.contains(a))).cloned().collect()
    }

    /// The console errors so far that are not allowed, and forgets them all.
    pub fn take_errors(&self) -> Vec<String> {
        let allowed = self.allowed.lock().unwrap().clone();
        let all = std::mem::take(&mut *self.errors.lock().unwrap());
        all.into_iter().filter(|e| !allowed.iter().any(|a| e.contains(a))).collect()
    }

    /// Fails on any console error, uncaught exception or CSP violation so far.
    pub async fn assert_clean(&self) {
        // Events arrive a little after the fact.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let errors = self.take_errors();
        assert!(errors.is_empty(), "[{}] console errors on {}:\n  {}", self.label, self.path().await, errors.join("\n  "));
    }

    /// Fails when the page scrolls sideways (phone-first: nothing wider than the screen).
    pub async fn assert_no_sideways_scroll(&self) {
        // A page wider than the phone makes the browser zoom out (the layout
        // viewport grows), so compare with the phone's width, not innerWidth.
        let width = self.width.size().0;
        let v = self
            .eval(&format!(
                "(function () {{ var w = {width}; var wide = []; \
                 function clipped(e) {{ var pos = getComputedStyle(e).position; if (pos === 'fixed') return true; \
                 var p = pos === 'absolute' ? e.offsetParent : e.parentElement; \
                 for (; p && p !== document.body && p !== document.documentElement; p = p.parentElement) \
                 {{ if (getComputedStyle(p).overflowX !== 'visible') return true; }} return false; }} \
                 document.querySelectorAll('body *').forEach(function (e) {{ var r = e.getBoundingClientRect(); \
                 if (r.right > w + 1 && r.width > 0 && wide.length < 8 && !clipped(e)) wide.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + \
                 (typeof e.className === 'string' && e.className ? '.' + e.className.split(' ').join('.') : '') + ' right=' + Math.round(r.right)); }}); \
                 return [document.documentElement.scrollWidth, wide, 'body ' + document.body.scrollWidth + \
                 ', scrolls by ' + (function () {{ var y = scrollY; scrollTo(10000, y); var x = scrollX; scrollTo(0, y); return x; }})() + 'px']; }})()"
            ))
            .await;
        let scroll = v[0].as_f64().unwrap_or(0.0);
        assert!(
            scroll <= width as f64 + 1.0,
            "[{}] {} scrolls sideways: {scroll}px wide on a {width}px screen ({}); too wide: {}",
            self.label,
            self.path().await,
            v[2],
            v[1]
        );
    }

    /// A full-page PNG in `target/screenshots/<name>-<width>.png`.
    pub async fn screenshot(&self, name: &str) {
        // From the top: a sticky header is drawn where the page is scrolled to.
        self.eval("new Promise(function (done) { window.scrollTo(0, 0); requestAnimationFrame(function () { requestAnimationFrame(done); }); })")
            .await;
        let size = self
            .eval("[Math.max(document.documentElement.scrollWidth, window.innerWidth), Math.max(document.documentElement.scrollHeight, document.body.scrollHeight, window.innerHeight)]")
            .await;
        let (w, h) = (size[0].as_f64().unwrap_or(800.0), size[1].as_f64().unwrap_or(600.0));
        let params = CaptureScreenshotParams::builder()
            .format(CaptureScreenshotFormat::Png)
            .capture_beyond_viewport(true)
            .clip(Viewport { x: 0.0, y: 0.0, width: w, height: h.min(16000.0), scale: 1.0 })
            .build();
        let shot = self.page.execute(params).await.unwrap_or_else(|e| panic!("[{}] screenshot: {e}", self.label));
        let bytes = decode_base64(shot.result.data.as_ref());
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let file = dir.join(format!("{name}-{}.png", self.width.name()));
        std::fs::write(&file, bytes).expect("write screenshot");
    }

    /// The axe-core violations of impact serious or critical on the page, one readable line each
    /// (with up to five of the elements at fault); `None` when axe-core is not installed.
    pub async fn accessibility_violations(&self) -> Option<Vec<String>> {
        let axe = self.axe.as_ref()?;
        if self.eval("typeof window.axe").await != Value::String("object".into()) {
            // Runtime.evaluate is not subject to the page's CSP.
            let params = EvaluateParams::builder().expression(axe.as_str()).build().expect("evaluate params");
            self.page.execute(params).await.expect("inject axe-core");
        }
        let found = self
            .eval(
                "axe.run(document, { resultTypes: ['violations'] }).then(function (r) { \
                 return r.violations.filter(function (v) { return v.impact === 'serious' || v.impact === 'critical'; }) \
                 .map(function (v) { return v.id + ' (' + v.impact + '): ' + v.help + v.nodes.slice(0, 5).map(function (n) { \
                 return '\\n      at ' + n.target.join(' ') + (n.failureSummary ? ': ' + n.failureSummary.replace(/\\s*\\n\\s*/g, ' ') : ''); \
                 }).join(''); }); })",
            )
            .await;
        Some(found.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect())
    }

    /// Runs axe-core on the page and fails on violations of impact serious or critical.
    pub async fn assert_accessible(&self, name: &str) {
        let Some(list) = self.accessibility_violations().await else { return };
        assert!(
            list.is_empty(),
            "[{}] accessibility violations on the {name} page ({}):\n  {}",
            self.label,
            self.path().await,
            list.join("\n  ")
        );
    }

    /// What every main page gets: no console errors, no sideways scroll, a
    /// screenshot, and the accessibility check.
    pub async fn check_page(&self, name: &str) {
        self.screenshot(name).await;
        self.assert_clean().await;
        if self.width.is_phone() {
            self.assert_no_sideways_scroll().await;
        }
        self.assert_accessible(name).await;
        self.assert_clean().await;
    }

    /// Signs in through `/login` and lands on the home page.
    pub async fn login(&self, email: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click_to_page("form[action='/login'] button[type=submit]").await;
        let path = self.path().await;
        assert_eq!(path, "/", "[{}] after signing in: {}", self.label, self.body_text().await);
    }

    /// Ends the journey: no console error left unseen, and the tab closed.
    pub async fn finish(self) {
        self.assert_clean().await;
        let _ = self.page.close().await;
    }
}

fn decode_base64(s: &str) -> Vec<u8> {
    fn val(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some((c - b'A') as u32),
            b'a'..=b'z' => Some((c - b'a' + 26) as u32),
            b'0'..=b'9' => Some((c - b'0' + 52) as u32),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Runs a step and answers its panic message instead of panicking, so that
/// a journey can check every page and report them all.
pub async fn attempt(step: impl Future<Output = ()>) -> Result<(), String> {
    use futures::FutureExt;
    std::panic::AssertUnwindSafe(step).catch_unwind().await.map_err(|p| panic_text(p.as_ref()))
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".into())
}

/// What a journey is given: the browser, the width, and which database to use.
#[derive(Clone)]
pub struct Ctx {
    pub chrome: Arc<Chrome>,
    pub width: Width,
    pub postgres: bool,
    pub name: &'static str,
}

impl Ctx {
    /// A fresh Rapport for this journey (PostgreSQL when the journey runs there).
    pub async fn app(&self) -> TestApp {
        if self.postgres { TestApp::postgres().await.expect("PostgreSQL configured") } else { TestApp::sqlite().await }
    }

    pub fn label(&self) -> String {
        format!("{}{}", self.name, if self.postgres { " on postgres" } else { "" })
    }

    pub async fn tab(&self, app: &TestApp) -> Tab {
        self.chrome.tab(&app.base, self.width, &self.label()).await
    }

    /// A fresh app whose admin has a password, and a tab signed in as them.
    pub async fn signed_in(&self) -> (TestApp, Tab) {
        let app = self.app().await;
        app.set_password(app.user_id, PASSWORD).await;
        let tab = self.tab(&app).await;
        tab.login(ADMIN_EMAIL, PASSWORD).await;
        (app, tab)
    }
}

type Run = Box<dyn Fn(Ctx) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A journey to run at both widths (and on PostgreSQL too, at desktop width, when asked).
pub struct Journey {
    name: &'static str,
    run: Arc<Run>,
    postgres: bool,
    widths: Vec<Width>,
}

pub fn journey<F, Fut>(name: &'static str, f: F) -> Journey
where
    F: Fn(Ctx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Journey { name, run: Arc::new(Box::new(move |c| Box::pin(f(c)))), postgres: false, widths: Width::ALL.to_vec() }
}

impl Journey {
    /// Also run it on PostgreSQL (at desktop width) when `RAPPORT_TEST_POSTGRES_URL` is set.
    pub fn on_postgres(mut self) -> Journey {
        self.postgres = true;
        self
    }
}

/// Runs the journeys in one browser, a few at a time; reports every failure
/// at the end. `RAPPORT_UI_ONLY=word` runs only the journeys whose name contains it.
pub async fn run(journeys: Vec<Journey>) {
    let Some(chrome) = Chrome::launch().await else { return };
    let chrome = Arc::new(chrome);
    let only = std::env::var("RAPPORT_UI_ONLY").unwrap_or_default();
    let pg = std::env::var(rapport_testkit::POSTGRES_ENV).is_ok();
    let mut runs = Vec::new();
    for j in journeys.iter().filter(|j| j.name.contains(only.as_str())) {
        let mut variants: Vec<(Width, bool)> = j.widths.iter().map(|w| (*w, false)).collect();
        if j.postgres && pg {
            variants.push((Width::Desktop, true));
        }
        for (width, postgres) in variants {
            let ctx = Ctx { chrome: chrome.clone(), width, postgres, name: j.name };
            let label = format!("{} @{}", ctx.label(), width.name());
            let f = j.run.clone();
            let chrome = chrome.clone();
            runs.push((
                label.clone(),
                tokio::spawn(async move {
                    let _permit = chrome.gate.acquire().await.expect("gate");
                    let started = Instant::now();
                    f(ctx).await;
                    eprintln!("ok: {label} ({:.1}s)", started.elapsed().as_secs_f64());
                }),
            ));
        }
    }
    let mut failed = Vec::new();
    for (label, handle) in runs {
        if let Err(e) = handle.await {
            let why = match e.try_into_panic() {
                Ok(p) => panic_text(p.as_ref()),
                Err(e) => e.to_string(),
            };
            eprintln!("FAILED: {label} (why: at the end)");
            failed.push(format!("{label}: {why}"));
        }
    }
    if let Ok(c) = Arc::try_unwrap(chrome) {
        c.close().await;
    }
    assert!(failed.is_empty(), "{} browser journey(s) failed:\n{}", failed.len(), failed.join("\n\n"));
}
