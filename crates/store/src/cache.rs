//! A short memory of what almost every request reads before its real work:
//! who the actor is (role, teams, team-mates, managed users), each workspace's
//! visibility settings, and what an API token stands for; and what every page
//! reads besides: the workspace's settings, its pipelines and stages, and its
//! custom field definitions. Reading them from the database on every request
//! cost more round trips than the request itself.
//!
//! Correctness: every change to users, teams, memberships, visibility,
//! tokens, workspace settings, pipelines or custom fields made through this
//! process forgets all entries at once (after its commit, so no reader can put
//! back what it read before), and an entry is
//! trusted for at most `TTL`, which bounds how long another server of the same
//! database may act on an older picture.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

/// How long an entry is trusted.
pub const TTL: Duration = Duration::from_secs(2);
/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 10_000;

/// Bumped after every committed change that the memos depend on.
static EPOCH: AtomicU64 = AtomicU64::new(0);

/// The epoch to note before reading what is to be remembered.
pub fn epoch() -> u64 {
    EPOCH.load(Ordering::SeqCst)
}

/// Forgets everything: call after committing a change to users, teams,
/// memberships, visibility settings or tokens.
pub fn invalidate() {
    EPOCH.fetch_add(1, Ordering::SeqCst);
}

struct Entry<T> {
    at: Instant,
    epoch: u64,
    value: T,
}

pub struct Memo<K, T> {
    map: Mutex<HashMap<K, Entry<T>>>,
}

impl<K: Eq + Hash, T: Clone> Memo<K, T> {
    fn new() -> Self {
        Memo { map: Mutex::new(HashMap::new()) }
    }

    pub fn get(&self, key: &K) -> Option<T> {
        let now_epoch = epoch();
        let map = self.map.lock().ok()?;
        map.get(key).filter(|e| e.epoch == now_epoch && e.at.elapsed() < TTL).map(|e| e.value.clone())
    }

    /// Remembers a value read while the epoch was `read_at`; nothing is kept
    /// when a change committed in between.
    pub fn put(&self, key: K, value: T, read_at: u64) {
        if read_at != epoch() {
            return;
        }
        let Ok(mut map) = self.map.lock() else { return };
        if map.len() >= SWEEP_AT {
            let current = epoch();
            map.retain(|_, e| e.epoch == current && e.at.elapsed() < TTL);
        }
        map.insert(key, Entry { at: Instant::now(), epoch: read_at, value });
    }
}

/// Actors by (workspace, user).
pub static ACTORS: LazyLock<Memo<(Uuid, Uuid), Option<rapport_domain::access::Actor>>> = LazyLock::new(Memo::new);

/// Visibility settings by workspace.
pub static VISIBILITY: LazyLock<
    Memo<Uuid, std::collections::BTreeMap<rapport_domain::Kind, rapport_domain::access::Visibility>>,
> = LazyLock::new(Memo::new);

/// Workspace settings by workspace.
pub static WORKSPACES: LazyLock<Memo<Uuid, crate::workspaces::Workspace>> = LazyLock::new(Memo::new);

/// Pipelines with their stages by workspace.
pub static PIPELINES: LazyLock<Memo<Uuid, Vec<crate::pipelines::Pipeline>>> = LazyLock::new(Memo::new);

/// Custom field definitions by workspace and kind.
pub static CUSTOM_FIELDS: LazyLock<Memo<(Uuid, rapport_domain::Kind), Vec<rapport_domain::custom::CustomField>>> =
    LazyLock::new(Memo::new);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_forgets_and_a_late_reader_keeps_nothing() {
        let memo: Memo<u32, &str> = Memo::new();
        let e = epoch();
        memo.put(1, "old", e);
        assert_eq!(memo.get(&1), Some("old"));
        invalidate();
        assert_eq!(memo.get(&1), None, "forgotten after a change");
        // A reader that began before the change must not store what it read.
        memo.put(1, "read before the change", e);
        assert_eq!(memo.get(&1), None);
        memo.put(1, "new", epoch());
        assert_eq!(memo.get(&1), Some("new"));
    }
}
