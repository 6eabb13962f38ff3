use rapport_domain::ValidationErrors;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The caller may see the record (or nothing is hidden) but not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// The record changed since the version the client read.
    #[error("the record is at version {current}, not {expected}")]
    VersionMismatch { expected: i64, current: i64 },
    /// A write the state of other records refuses: a stage still holding
    /// deals, a record changed by others meanwhile, a reused idempotency key.
    #[error("conflict: {0}")]
    Conflict(Conflict),
    /// A custom field's type or options change would not convert these
    /// records' values (at most `custom_fields::REFUSAL_CAP` named; `total` in all).
    #[error("{total} values of '{field}' would not convert to {to}")]
    NotConvertible {
        field: String,
        /// The attribute whose change needs the conversion: `type` or `options`.
        attribute: &'static str,
        to: &'static str,
        total: usize,
        records: Vec<crate::custom_fields::Unconvertible>,
    },
    #[error("configuration: {0}")]
    Config(String),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration { version: i64, name: &'static str, source: Box<StoreError> },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl StoreError {
    /// True for a unique-key violation, which callers turn into a conflict.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// Why a write conflicts with the current state: a code that names the
/// message in the interface's catalogs (`conflict-<code>`, with the
/// arguments), and the English sentence the API sends as its detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
    pub message: String,
}

impl Conflict {
    pub fn new(code: &'static str, message: impl Into<String>) -> Conflict {
        Conflict { code, args: vec![], message: message.into() }
    }

    /// The conflict with one more argument for its catalog message.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Conflict {
        self.args.push((name, value.to_string()));
        self
    }
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<Conflict> for StoreError {
    fn from(c: Conflict) -> StoreError {
        StoreError::Conflict(c)
    }
}
