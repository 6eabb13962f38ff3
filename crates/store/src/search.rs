//! Global search over people, organizations, deals, activities and tasks:
//! an index row per record kept in step by the record engine, matched with
//! FTS5 on SQLite and tsvector on PostgreSQL, ranked by Rapport; typos are
//! corrected word by word from a vocabulary of the names (pg_trgm, FTS5 trigrams).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rapport_domain::Kind;
use rapport_domain::search::{self as rules, Query as SearchQuery, document, fold};
use sea_query::{Cond, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::db::{Col, Tx, str_at, uuid_at};
use crate::records::Record;
use crate::sql::{t, tc};
use crate::values::uuid;
use crate::{Backend, Scope, Store, StoreError, access, workspaces};

/// Kinds global search covers, in the order hits of equal rank are shown.
pub const KINDS: [Kind; 6] = [Kind::Person, Kind::Organization, Kind::Deal, Kind::Activity, Kind::Task, Kind::Object];

/// Writes (or rewrites) a record's index row.
pub(crate) async fn refresh(tx: &mut Tx, scope: &Scope, kind: Kind, record: &Record) -> Result<(), StoreError> {
    let Some(mut doc) = document(kind, record) else { return Ok(()) };
    if record.get("custom").and_then(Json::as_object).is_some_and(|c| !c.is_empty()) {
        let defs = crate::custom_fields::load(tx, scope, kind).await?;
        rules::add_custom(&mut doc, &defs, record);
    }
    let Some(id) = record.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()) else { return Ok(()) };
    let fields: Map<String, Json> = doc.fields.iter().map(|(k, v)| (k.to_string(), Json::String(v.join(" ")))).collect();
    let ins = Query::insert()
        .into_table(t("search_entries"))
        .columns(["workspace_id", "kind", "record_id", "label", "label_folded", "tokens", "fields"].map(t))
        .values_panic([
            uuid(scope.workspace_id).into(),
            kind.as_str().into(),
            uuid(id).into(),
            doc.label.clone().into(),
            fold(&doc.label).into(),
            doc.tokens().into(),
            Json::Object(fields).into(),
        ])
        .on_conflict(
            OnConflict::columns(["workspace_id", "kind", "record_id"].map(t))
                .update_columns(["label", "label_folded", "tokens", "fields"].map(t))
                .to_owned(),
        )
        .to_owned();
    tx.exec(&ins).await?;
    Ok(())
}

pub(crate) async fn remove(tx: &mut Tx, scope: &Scope, kind: Kind, id: Uuid) -> Result<(), StoreError> {
    let del = Query::delete()
        .from_table(t("search_entries"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("kind")).eq(kind.as_str()))
        .and_where(Expr::col(t("record_id")).eq(uuid(id)))
        .to_owned();
    tx.exec(&del).await?;
    Ok(())
}

/// How a query's words match the indexed words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Words {
    /// Each word whole: one posting list per word, the cheap reading.
    Whole,
    /// The last word as the start of an indexed word (a name being typed):
    /// every indexed word it begins, read and merged. So is an initial
    /// (`j smith`); the other words are whole, as the reader typed on past
    /// them: merging every word that begins with a complete first name cost
    /// up to 40 ms on a first reading at a million people, for nothing.
    Prefix,
}

impl Words {
    fn suffix(self, word: &str, last: bool, prefix: &'static str) -> &'static str {
        match self {
            Words::Prefix if last || word.chars().count() <= 2 => prefix,
            _ => "",
        }
    }
}

/// Each query word with the indexed words it may stand for: itself alone,
/// or, for a typo, its corrections from the vocabulary.
type Groups = [Vec<String>];

fn as_typed(q: &SearchQuery) -> Vec<Vec<String>> {
    q.tokens.iter().map(|t| vec![t.clone()]).collect()
}

/// SQLite: the FTS rows with a word of every group.
fn fts_match(groups: &Groups, words: Words) -> Expr {
    let m = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let last = i + 1 == groups.len();
            let any =
                g.iter().map(|w| format!("\"{}\"{}", w.replace('"', "\"\""), words.suffix(w, last, "*"))).collect::<Vec<_>>();
            format!("({})", any.join(" OR "))
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    Expr::cust_with_values("\"search_fts\" MATCH ?", [m])
}

/// PostgreSQL: the index rows with a word of every group (through the GIN index on the tokens).
fn tokens_match(groups: &Groups, words: Words) -> Expr {
    let tsquery = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let last = i + 1 == groups.len();
            let any = g
                .iter()
                .map(|w| format!("'{}'{}", w.replace('\'', "''").replace('\\', ""), words.suffix(w, last, ":*")))
                .collect::<Vec<_>>();
            format!("({})", any.join(" | "))
        })
        .collect::<Vec<_>>()
        .join(" & ");
    Expr::cust_with_values(
        "array_to_tsvector(string_to_array(\"search_entries\".\"tokens\", ' ')) @@ CAST($1 AS tsquery)",
        [tsquery],
    )
}

/// Ids of `kind` whose index row matches every token: composes with list filters.
pub(crate) fn matching_ids(backend: Backend, workspace_id: Uuid, kind: Kind, q: &SearchQuery) -> SelectStatement {
    let mut s = Query::select();
    s.column((t("search_entries"), t("record_id")))
        .from(t("search_entries"))
        .and_where(tc("search_entries", "workspace_id").eq(uuid(workspace_id)))
        .and_where(tc("search_entries", "kind").eq(kind.as_str()));
    match backend {
        Backend::Sqlite => {
            let inner = Query::select()
                .expr(Expr::cust("rowid"))
                .from(t("search_fts"))
                .and_where(fts_match(&as_typed(q), Words::Prefix))
                .to_owned();
            s.and_where(tc("search_entries", "doc_id").in_subquery(inner));
        }
        Backend::Postgres => {
            s.and_where(tokens_match(&as_typed(q), Words::Prefix));
        }
    }
    s
}

/// How many records with every token a search ranks at most: four pages of
/// results. Each is a row read from the index's table (at random, for a
/// common name matching thousands), so more would slow every such search.
const CANDIDATES: u64 = 200;

/// The index rows of `kinds` that match every token, at most [`CANDIDATES`] of them.
/// On SQLite the FTS table drives the join, so a common word stops at the limit
/// instead of listing every match first.
fn candidates_query(backend: Backend, workspace_id: Uuid, groups: &Groups, kinds: &[Kind], words: Words) -> SelectStatement {
    let mut s = Query::select();
    s.columns(["kind", "record_id", "label", "fields"].map(|c| (t("search_entries"), t(c))));
    match backend {
        Backend::Sqlite => {
            // `CROSS JOIN` keeps the FTS table outside: in the other order
            // (which the planner picked now and then) SQLite runs the full-text
            // query again for every index row of the workspace, seconds each time.
            s.from(t("search_fts"))
                .cross_join(t("search_entries"))
                .and_where(Expr::cust("\"search_entries\".\"doc_id\" = \"search_fts\".\"rowid\""))
                .and_where(fts_match(groups, words));
        }
        Backend::Postgres => {
            s.from(t("search_entries")).and_where(tokens_match(groups, words));
        }
    }
    s.and_where(tc("search_entries", "workspace_id").eq(uuid(workspace_id)))
        .and_where(tc("search_entries", "kind").is_in(kinds.iter().map(|k| k.as_str())))
        .limit(CANDIDATES);
    s
}

/// The index rows whose whole label is the query (an organization named
/// just that, a person by full name): ranked first, and read by the label
/// index, so that they are among the candidates however many records share
/// their words.
fn same_label(workspace_id: Uuid, q: &SearchQuery, kinds: &[Kind]) -> SelectStatement {
    Query::select()
        .columns(["kind", "record_id", "label", "fields"].map(|c| (t("search_entries"), t(c))))
        .from(t("search_entries"))
        .and_where(tc("search_entries", "workspace_id").eq(uuid(workspace_id)))
        .and_where(tc("search_entries", "kind").is_in(kinds.iter().map(|k| k.as_str())))
        .and_where(tc("search_entries", "label_folded").eq(q.folded.clone()))
        .limit(50)
        .to_owned()
}

/// How many vocabulary words sharing trigrams with a query word are weighed.
const NEAR_BY_TRIGRAMS: u64 = 50;
/// How many words of about a word's length and first letter are weighed.
const NEAR_BY_START: u64 = 5000;

fn vocabulary(workspace_id: Uuid) -> SelectStatement {
    Query::select()
        .column((t("search_words"), t("word")))
        .from(t("search_words"))
        .and_where(tc("search_words", "workspace_id").eq(uuid(workspace_id)))
        .to_owned()
}

/// Vocabulary words of about this word's length that begin with its letter:
/// a range of the vocabulary's key, where most slips (a doubled, missing,
/// wrong or swapped letter after the first) find their word.
async fn words_beginning_alike(tx: &mut Tx, workspace_id: Uuid, word: &str) -> Result<Vec<String>, StoreError> {
    let Some(first) = word.chars().next() else { return Ok(vec![]) };
    let next = char::from_u32(first as u32 + 1).unwrap_or(char::MAX);
    let (len, edits) = (word.chars().count(), rules::allowed_edits(word));
    let length = Expr::cust("LENGTH(\"search_words\".\"word\")");
    let q = vocabulary(workspace_id)
        .and_where(tc("search_words", "word").gte(first.to_string()))
        .and_where(tc("search_words", "word").lt(next.to_string()))
        .and_where(length.clone().gte(len.saturating_sub(edits) as i64))
        .and_where(length.lte((len + edits) as i64))
        .limit(NEAR_BY_START)
        .to_owned();
    Ok(tx.rows(&q, &[Col::Text]).await?.iter().filter_map(|r| str_at(r, 0).map(str::to_string)).collect())
}

/// Vocabulary words sharing the most trigrams with this word, whatever
/// their first letter: read only when a word has no correction beginning
/// alike, as this compares the word with much of the vocabulary.
async fn words_sharing_trigrams(tx: &mut Tx, workspace_id: Uuid, word: &str) -> Result<Vec<String>, StoreError> {
    let mut q = vocabulary(workspace_id);
    match tx.backend() {
        Backend::Sqlite => {
            let chars: Vec<char> = word.chars().collect();
            let grams: BTreeSet<String> = chars.windows(3).map(|g| g.iter().collect()).collect();
            if grams.is_empty() {
                return Ok(vec![]);
            }
            let any = grams.iter().map(|g| format!("\"{}\"", g.replace('"', "\"\""))).collect::<Vec<_>>().join(" OR ");
            let inner = Query::select()
                .expr(Expr::cust("rowid"))
                .from(t("search_words_trigrams"))
                .and_where(Expr::cust_with_values("\"search_words_trigrams\" MATCH ?", [any]))
                .order_by_expr(Expr::cust("rank"), Order::Asc)
                .limit(NEAR_BY_TRIGRAMS)
                .to_owned();
            q.and_where(tc("search_words", "id").in_subquery(inner));
        }
        Backend::Postgres => {
            q.and_where(Expr::cust_with_values("\"search_words\".\"word\" OPERATOR(public.%) $1", [word.to_string()]))
                .order_by_expr(
                    Expr::cust_with_values("public.similarity(\"search_words\".\"word\", $1)", [word.to_string()]),
                    Order::Desc,
                )
                .limit(NEAR_BY_TRIGRAMS);
        }
    }
    Ok(tx.rows(&q, &[Col::Text]).await?.iter().filter_map(|r| str_at(r, 0).map(str::to_string)).collect())
}

/// A typo's groups: each correctable word of the query with the vocabulary
/// words it most likely meant, the others as typed. `None` when no word has
/// a correction: searching again would find nothing new.
async fn corrected(tx: &mut Tx, workspace_id: Uuid, q: &SearchQuery) -> Result<Option<Vec<Vec<String>>>, StoreError> {
    let mut groups = Vec::with_capacity(q.tokens.len());
    let mut any = false;
    for token in &q.tokens {
        let mut group = vec![token.clone()];
        if rules::correctable(token) {
            let alike = words_beginning_alike(tx, workspace_id, token).await?;
            let mut found = rules::corrections(token, alike.iter().map(String::as_str));
            if found.is_empty() {
                let near = words_sharing_trigrams(tx, workspace_id, token).await?;
                found = rules::corrections(token, near.iter().map(String::as_str));
            }
            for w in found {
                if w != *token {
                    any = true;
                    group.push(w);
                }
            }
        }
        groups.push(group);
    }
    Ok(any.then_some(groups))
}

/// The ids the scope may read, each with its custom record kind (for custom records).
async fn visible(tx: &mut Tx, scope: &Scope, kind: Kind, ids: Vec<Uuid>) -> Result<BTreeMap<Uuid, Option<String>>, StoreError> {
    let table = kind.table();
    let restricted = access::condition(tx, scope, kind, false).await?;
    // A reader who sees every record of the kind sees every candidate: the
    // index rows are written and removed in their records' transactions.
    if restricted.is_none() && kind != Kind::Object {
        return Ok(ids.into_iter().map(|id| (id, None)).collect());
    }
    let mut cond = Cond::all()
        .add(tc(table, "workspace_id").eq(uuid(scope.workspace_id)))
        .add(tc(table, "id").is_in(ids.into_iter().map(uuid)));
    if let Some(c) = restricted {
        cond = cond.add(c);
    }
    let mut q = Query::select().column((t(table), t("id"))).from(t(table)).cond_where(cond).to_owned();
    if kind == Kind::Object {
        q.column((t(table), t("type")));
        let rows = tx.rows(&q, &[Col::Uuid, Col::Text]).await?;
        return Ok(rows.iter().filter_map(|r| Some((uuid_at(r, 0)?, str_at(r, 1).map(str::to_string)))).collect());
    }
    Ok(tx.rows(&q, &[Col::Uuid]).await?.iter().filter_map(|r| Some((uuid_at(r, 0)?, None))).collect())
}

struct Candidate {
    kind: Kind,
    id: Uuid,
    label: String,
    fields: BTreeMap<String, Vec<String>>,
    all_tokens: bool,
}

impl Store {
    /// Parses a search as typed, with the workspace's phone region.
    pub async fn search_query(&self, scope: &Scope, q: &str) -> Result<Option<SearchQuery>, StoreError> {
        let mut tx = self.db.read().await?;
        let ws = workspaces::load(&mut tx, scope.workspace_id).await?;
        tx.commit().await?;
        let region = rapport_domain::contact::parse_region(&ws.phone_region).unwrap_or(phonenumber::country::Id::US);
        Ok(rules::parse_query(q, region))
    }

    /// Searches every kind the scope may read; the best hits first, each with the field it matched.
    pub async fn search(&self, scope: &Scope, q: &str, kinds: &[Kind], limit: usize) -> Result<Vec<Json>, StoreError> {
        access::require_staff(scope)?;
        let Some(query) = self.search_query(scope, q).await? else { return Ok(vec![]) };
        let kinds: Vec<Kind> = kinds.iter().copied().filter(|k| access::require_read(scope, *k).is_ok()).collect();
        if kinds.is_empty() {
            return Ok(vec![]);
        }
        let backend = self.backend();
        let mut tx = self.db.read().await?;
        let mut candidates: Vec<Candidate> = Vec::new();
        let cols = [Col::Text, Col::Uuid, Col::Text, Col::Json];
        let to_candidate = |r: &[Json], all_tokens: bool| -> Option<Candidate> {
            let fields = r[3]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().split(' ').map(str::to_string).collect()))
                        .collect()
                })
                .unwrap_or_default();
            Some(Candidate {
                kind: Kind::parse(str_at(r, 0)?)?,
                id: uuid_at(r, 1)?,
                label: str_at(r, 2)?.to_string(),
                fields,
                all_tokens,
            })
        };
        // One query for every kind: the records whose index row has every
        // token, as whole words first. A common name matches thousands that
        // way, far more than are ranked, and reading them as prefixes too
        // would merge the lists of every longer word they begin, for nothing.
        let typed = as_typed(&query);
        let mut found = tx.rows(&candidates_query(backend, scope.workspace_id, &typed, &kinds, Words::Whole), &cols).await?;
        if (found.len() as u64) < CANDIDATES {
            found = tx.rows(&candidates_query(backend, scope.workspace_id, &typed, &kinds, Words::Prefix), &cols).await?;
        }
        found.extend(tx.rows(&same_label(scope.workspace_id, &query, &kinds), &cols).await?);
        let mut seen = HashSet::new();
        candidates.extend(found.iter().filter_map(|r| to_candidate(r, true)).filter(|c| seen.insert((c.kind, c.id))));
        // A typo only when no record has every word: each word is corrected
        // from the vocabulary of names (a few small reads), then the
        // corrected words are searched whole, as cheaply as any search.
        if candidates.is_empty()
            && let Some(groups) = corrected(&mut tx, scope.workspace_id, &query).await?
        {
            // Half as many: a guess ranks fewer, and each candidate is a row
            // read at random (the most of a typo's time on a first reading).
            let mut q = candidates_query(backend, scope.workspace_id, &groups, &kinds, Words::Whole);
            q.limit(CANDIDATES / 2);
            candidates.extend(tx.rows(&q, &cols).await?.iter().filter_map(|r| to_candidate(r, false)));
        }
        let mut by_kind: HashMap<Kind, Vec<Uuid>> = HashMap::new();
        for c in &candidates {
            by_kind.entry(c.kind).or_default().push(c.id);
        }
        let mut allowed = BTreeMap::new();
        for (kind, ids) in by_kind {
            allowed.extend(visible(&mut tx, scope, kind, ids).await?.into_iter().map(|(id, ty)| ((kind, id), ty)));
        }
        tx.commit().await?;
        let mut hits: Vec<(f64, Json)> = candidates
            .into_iter()
            .filter_map(|c| {
                let object_type = allowed.get(&(c.kind, c.id))?;
                // A typo's hits (each word within an edit or two of one of
                // theirs) rank by their likeness to the query, after any hit
                // with every word as typed.
                let sim = rules::similarity(&query.folded, &c.label);
                let kind_weight = 0.01 * (KINDS.len() - KINDS.iter().position(|k| *k == c.kind).unwrap_or(KINDS.len())) as f64;
                let score = sim + if c.all_tokens { 1.0 } else { 0.0 } + kind_weight;
                let field = rules::matched_field(&c.fields, &query).or_else(|| (!c.all_tokens).then(|| "name".to_string()));
                let mut hit = json!({"kind": c.kind.as_str(), "id": c.id, "label": c.label, "matched_field": field, "score": (score * 1000.0).round() / 1000.0});
                if let Some(ty) = object_type {
                    hit["type"] = json!(ty);
                }
                Some((score, hit))
            })
            .collect();
        hits.sort_by(|a, b| b.0.total_cmp(&a.0));
        hits.truncate(limit);
        Ok(hits.into_iter().map(|h| h.1).collect())
    }
}

impl Store {
    /// Rebuilds the search index of a workspace from its records, a page at a
    /// time: after a bulk load, or to recover from a changed folding rule.
    /// Returns how many records were indexed.
    pub async fn reindex_search(&self, scope: &Scope) -> Result<usize, StoreError> {
        access::require_admin(scope)?;
        // The vocabulary starts afresh: the rewritten index rows bring back
        // the words still in use, and those of deleted records stay gone.
        let mut tx = self.db.write().await?;
        let words = Query::delete()
            .from_table(t("search_words"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .to_owned();
        tx.exec(&words).await?;
        tx.commit().await?;
        let mut count = 0;
        for kind in KINDS {
            let mut q = crate::ListQuery { limit: 500, ..crate::ListQuery::default() };
            loop {
                let page = self.list(scope, kind, &q).await?;
                let mut tx = self.db.write().await?;
                for r in &page.items {
                    refresh(&mut tx, scope, kind, r).await?;
                }
                tx.commit().await?;
                count += page.items.len();
                match page.next_cursor {
                    Some(c) => q.cursor = Some(c),
                    None => break,
                }
            }
        }
        Ok(count)
    }
}
