//! What a file's rows are: a built-in kind, or the records of one custom
//! record kind, named in files, commands and requests by its key.

use rapport_domain::Kind;
use rapport_domain::custom::CustomField;
use rapport_store::object_types::ObjectType;
use rapport_store::{ListQuery, Scope, Store, StoreError};

use crate::export::{ExportError, ExportFormat, ExportStream};
use crate::{Options, mapping};

/// The kind of the records a file holds, with the custom fields a mapping may target.
#[derive(Debug, Clone)]
pub struct RowKind {
    pub kind: Kind,
    /// The custom record kind, when `kind` is `Kind::Object`.
    pub object_type: Option<ObjectType>,
    pub custom: Vec<CustomField>,
}

impl RowKind {
    /// Reads `people`, `deal`, ... or a custom kind's key; `None` when there is no such kind.
    pub async fn resolve(store: &Store, scope: &Scope, name: &str) -> Result<Option<RowKind>, StoreError> {
        let name = name.trim();
        if let Some(kind) = mapping::parse_kind(name) {
            return RowKind::builtin(store, scope, kind).await.map(Some);
        }
        match store.object_type(scope, name).await {
            Ok(def) => Ok(Some(RowKind::of_object_type(def))),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A built-in kind's records, with its custom fields.
    pub async fn builtin(store: &Store, scope: &Scope, kind: Kind) -> Result<RowKind, StoreError> {
        let custom = if kind.has_custom_fields() { store.custom_fields(scope, kind).await? } else { vec![] };
        Ok(RowKind { kind, object_type: None, custom })
    }

    /// The records of one custom record kind.
    pub fn of_object_type(def: ObjectType) -> RowKind {
        RowKind { kind: Kind::Object, custom: def.fields.clone(), object_type: Some(def) }
    }

    /// The name jobs, files and messages use: a collection, or a custom kind's key.
    pub fn name(&self) -> String {
        self.object_type.as_ref().map_or_else(|| self.kind.collection().to_string(), |d| d.key.clone())
    }

    /// What saved mappings and rules name these rows by: a built-in kind's name, or the custom kind's key.
    pub fn owner(&self) -> &str {
        self.object_type.as_ref().map_or(self.kind.as_str(), |d| d.key.as_str())
    }

    /// The fields a mapping may fill, with a line of help each; a custom kind
    /// without a status has no stage or status to fill.
    pub fn targets(&self) -> Vec<serde_json::Value> {
        let stageless = self.object_type.as_ref().is_some_and(|d| !d.has_status);
        mapping::targets(self.kind, &self.custom)
            .into_iter()
            .filter(|t| !(stageless && matches!(t["target"].as_str(), Some("stage" | "stage_id" | "status"))))
            .collect()
    }

    /// Import options for these rows (suggested mapping, partial mode).
    pub fn options(&self) -> Options {
        match &self.object_type {
            Some(def) => Options::of_object_type(def.clone()),
            None => Options::new(self.kind),
        }
    }

    /// An export of these records matching the query.
    pub async fn export(
        &self,
        store: Store,
        scope: Scope,
        format: ExportFormat,
        q: ListQuery,
    ) -> Result<ExportStream, ExportError> {
        match &self.object_type {
            Some(def) => ExportStream::of_object_type(store, scope, def, format, q).await,
            None => ExportStream::new(store, scope, self.kind, format, q).await,
        }
    }
}
