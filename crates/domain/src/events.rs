//! Event names: what a change-log row is called when it leaves Rapport as a
//! webhook event, and which names a subscription may ask for.
//!
//! Built-in kinds are named by their kind (`person.created`); a custom
//! record's events are named by its kind's key (`contract.created`), so a
//! subscriber can follow one custom kind without receiving every other.

use crate::{Kind, ValidationErrors};

/// A custom record kind of the workspace, as event names and workflows need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomKind {
    pub key: String,
    /// The kind has a pipeline: its records change stage.
    pub has_status: bool,
}

/// The name events of a record are prefixed with: the kind, or a custom record's key.
pub fn prefix(kind: Kind, object_type: Option<&str>) -> &str {
    match (kind, object_type) {
        (Kind::Object, Some(key)) => key,
        _ => kind.as_str(),
    }
}

/// The events one change makes: `{prefix}.{action}`, and `{prefix}.stage_changed`
/// when a deal or a custom record changed stage.
pub fn for_change(kind: Kind, object_type: Option<&str>, action: &str, stage_changed: bool) -> Vec<String> {
    let prefix = prefix(kind, object_type);
    let mut types = vec![format!("{prefix}.{action}")];
    if stage_changed && action == "updated" && matches!(kind, Kind::Deal | Kind::Object) {
        types.push(format!("{prefix}.stage_changed"));
    }
    types
}

/// Event types a subscription may name (besides `*` and `<kind>.*`).
pub fn event_types(custom: &[CustomKind]) -> Vec<String> {
    let mut v = Vec::new();
    for k in Kind::ALL {
        for a in ["created", "updated", "deleted", "merged"] {
            v.push(format!("{}.{a}", k.as_str()));
        }
    }
    v.push("deal.stage_changed".into());
    v.push("task.due".into());
    // Custom records are not merged: they have no `merged` event.
    for c in custom {
        for a in ["created", "updated", "deleted"] {
            v.push(format!("{}.{a}", c.key));
        }
        if c.has_status {
            v.push(format!("{}.stage_changed", c.key));
        }
    }
    v
}

/// Does a subscription's list of events take this one?
pub fn subscribed(events: &[String], event: &str) -> bool {
    events.iter().any(|e| e == "*" || e == event || e.strip_suffix(".*").is_some_and(|k| event.split('.').next() == Some(k)))
}

/// Checks the events a subscription names, each fault at `events[i]`.
pub fn check(events: &[String], custom: &[CustomKind], errs: &mut ValidationErrors) {
    if events.is_empty() {
        errs.push("events", "required", "name the events to receive, or \"*\" for all");
    }
    let known = event_types(custom);
    for (i, e) in events.iter().enumerate() {
        if e == "*" || known.contains(e) {
            continue;
        }
        let prefix = e.split_once('.').map_or(e.as_str(), |(p, _)| p);
        let builtin = Kind::ALL.iter().any(|k| k.as_str() == prefix);
        let own = custom.iter().find(|c| c.key == prefix);
        let wildcard = e.ends_with(".*") && e.len() == prefix.len() + 2;
        let message = match own {
            _ if wildcard && (builtin || own.is_some()) => continue,
            Some(c) if e.ends_with(".stage_changed") && !c.has_status => {
                format!("'{prefix}' records have no status, so no stage_changed event")
            }
            Some(_) => format!("unknown event '{e}': {prefix} records have created, updated and deleted events"),
            None if builtin => format!("unknown event '{e}'"),
            None => format!("unknown event '{e}': '{prefix}' is neither a built-in kind nor a custom record kind"),
        };
        errs.push(format!("events[{i}]"), "invalid", message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds() -> Vec<CustomKind> {
        vec![CustomKind { key: "contract".into(), has_status: false }, CustomKind { key: "project".into(), has_status: true }]
    }

    #[test]
    fn custom_kinds_name_their_own_events() {
        assert_eq!(for_change(Kind::Object, Some("contract"), "created", false), ["contract.created"]);
        assert_eq!(for_change(Kind::Object, Some("project"), "updated", true), ["project.updated", "project.stage_changed"]);
        assert_eq!(for_change(Kind::Deal, None, "updated", true), ["deal.updated", "deal.stage_changed"]);
        assert_eq!(for_change(Kind::Person, None, "updated", true), ["person.updated"]);
        assert!(subscribed(&["contract.*".into()], "contract.deleted"));
        assert!(!subscribed(&["contract.*".into()], "project.created"));
    }

    #[test]
    fn unknown_kinds_and_events_are_refused_one_by_one() {
        let events: Vec<String> = [
            "*",
            "contract.*",
            "project.stage_changed",
            "contract.created",
            "deal.*",
            "nope.*",
            "contract.stage_changed",
            "contract.merged",
            "person.nothing",
            "contract",
        ]
        .map(String::from)
        .into();
        let mut errs = ValidationErrors::default();
        check(&events, &kinds(), &mut errs);
        let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["events[5]", "events[6]", "events[7]", "events[8]", "events[9]"]);
        assert!(errs.0[0].message.contains("neither"), "{}", errs.0[0].message);
        assert!(errs.0[1].message.contains("no status"), "{}", errs.0[1].message);
    }
}
