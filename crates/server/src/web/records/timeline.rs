//! The timeline of a record as lines: what happened, who did it, when.

use std::collections::HashMap;

use rapport_domain::Kind;
use serde_json::Value as Json;

use crate::web::frame::Ui;

pub struct Entry {
    pub kind: &'static str,
    pub badge: String,
    pub title: String,
    pub href: Option<String>,
    pub who: String,
    pub when: String,
    pub detail: String,
}

/// A user's name, empty for one unknown or hidden.
pub fn user_name(users: &HashMap<String, String>, id: &str) -> String {
    users.get(id).cloned().unwrap_or_default()
}

/// One timeline item as a line: what, who, when.
pub fn entry(ui: &Ui, names: &HashMap<String, String>, kind: Kind, id: &str, item: &Json) -> Entry {
    let s = |v: &Json| v.as_str().unwrap_or_default().to_string();
    match item["type"].as_str().unwrap_or_default() {
        "activity" => {
            let a = &item["activity"];
            let badge = ui.value("type", &s(&a["type"]));
            let subject = s(&a["subject"]);
            let detail = [outcome(ui, &s(&a["outcome"])), excerpt(&s(&a["body"]))]
                .into_iter()
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>();
            Entry {
                kind: "activity",
                title: if subject.is_empty() { badge.clone() } else { subject },
                badge,
                href: Some(format!("/activities/{}", s(&a["id"]))),
                who: user_name(names, &s(&a["created_by"])),
                when: ui.when(&a["occurred_at"]),
                detail: detail.join(" · "),
            }
        }
        "task" => {
            let t = &item["task"];
            let due = ui.when(&t["due_at"]);
            Entry {
                kind: "task",
                badge: ui.kind(Kind::Task),
                title: s(&t["title"]),
                href: Some(format!("/tasks/{}", s(&t["id"]))),
                who: user_name(names, &s(&t["assignee_user_id"])),
                when: if due.is_empty() { ui.when(&t["created_at"]) } else { ui.t1("records-tl-due", "when", &due) },
                detail: ui.value("status", &s(&t["status"])),
            }
        }
        _ => {
            let action = s(&item["action"]);
            let rk = Kind::parse(&s(&item["record_kind"])).unwrap_or(kind);
            let rid = s(&item["record_id"]);
            let key = format!("records-tl-{action}");
            let key = if ui.catalog.has(&key) { key } else { "records-tl-changed".to_string() };
            let fields: Vec<String> = item["changes"]
                .as_object()
                .map(|m| {
                    m.keys()
                        .filter(|k| !matches!(k.as_str(), "version" | "updated_at" | "updated_by"))
                        .map(|k| ui.field(rk, k))
                        .collect()
                })
                .unwrap_or_default();
            let own = rk == kind && rid == id;
            let actor = s(&item["actor_id"]);
            Entry {
                kind: "change",
                badge: ui.t("records-tl-change"),
                title: ui.t1(&key, "kind", &ui.kind(rk)),
                href: (!own && action != "deleted").then(|| match rk {
                    // A custom record's page is under its kind: /object/{id} finds it.
                    Kind::Object => format!("/object/{rid}"),
                    _ => format!("/{}/{rid}", rk.collection()),
                }),
                who: if actor.is_empty() { ui.t("records-tl-system") } else { user_name(names, &actor) },
                when: ui.when(&item["at"]),
                detail: if action == "updated" { fields.join(", ") } else { String::new() },
            }
        }
    }
}

/// The outcomes of a call the log form offers.
pub const OUTCOMES: [&str; 4] = ["connected", "left_voicemail", "no_answer", "busy"];

/// A call's outcome in the reader's language when it is one of ours.
pub fn outcome(ui: &Ui, o: &str) -> String {
    let key = format!("records-outcome-{}", o.trim().replace(' ', "_"));
    if ui.catalog.has(&key) { ui.t(&key) } else { o.to_string() }
}

/// The first words of a long text, on one line.
fn excerpt(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match s.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
