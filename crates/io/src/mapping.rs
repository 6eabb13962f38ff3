//! Column mappings: which field of a record each source column fills, and the
//! suggestions made from a file's header row. The suggestions know the headers
//! of common exports such as Google Contacts, Outlook, HubSpot, Salesforce and
//! Apple Contacts (vCard), and Rapport's own exports.

use std::collections::BTreeMap;

use rapport_domain::Kind;
use rapport_domain::custom::CustomField;
use rapport_domain::schema::{self, Access, FieldType};
use serde::Serialize;
use serde_json::{Map, Value as Json, json};

/// Kinds a file can be imported as.
pub const KINDS: [Kind; 4] = [Kind::Person, Kind::Organization, Kind::Deal, Kind::Activity];

/// Parses `people`, `person`, `organizations`, ... into a kind that can be imported.
pub fn parse_kind(s: &str) -> Option<Kind> {
    let s = s.trim().to_ascii_lowercase();
    let k = Kind::from_collection(&s).or_else(|| Kind::parse(&s)).or(match s.as_str() {
        "contacts" | "contact" | "leads" | "lead" => Some(Kind::Person),
        "companies" | "company" | "accounts" | "account" | "organisations" | "organisation" => Some(Kind::Organization),
        "opportunities" | "opportunity" => Some(Kind::Deal),
        _ => None,
    })?;
    KINDS.contains(&k).then_some(k)
}

/// Parts of a postal address a column may fill.
pub const ADDRESS_PARTS: [&str; 5] = ["street", "city", "region", "postal_code", "country"];

/// Where a source column's values go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A field of the record, by name (`first_name`, `emails`, `external_id`, ...).
    Field(&'static str),
    /// A part of the address (`address.city`; organizations: `addresses.city`, their first address).
    Address(&'static str, &'static str),
    /// A custom field (`custom.<key>`).
    Custom(String),
    /// An organization's name: found, or created, and linked.
    Organization,
    /// A whole name, split into first and last name (people).
    FullName,
    /// An amount in major units (`1234.50`), in the deal's currency (deals).
    Amount,
    /// A pipeline by name (deals).
    Pipeline,
    /// A stage by name, in the deal's pipeline (deals).
    Stage,
    /// A person by email or external id, linked (deals, activities).
    Person,
    /// A deal by external id or name, linked (activities).
    Deal,
    /// The owner, by the email of a user.
    Owner,
}

impl Target {
    /// The target's name in a mapping.
    pub fn name(&self) -> String {
        match self {
            Target::Field(f) => f.to_string(),
            Target::Address(field, part) => format!("{field}.{part}"),
            Target::Custom(k) => format!("custom.{k}"),
            Target::Organization => "organization".into(),
            Target::FullName => "full_name".into(),
            Target::Amount => "amount".into(),
            Target::Pipeline => "pipeline".into(),
            Target::Stage => "stage".into(),
            Target::Person => "person".into(),
            Target::Deal => "deal".into(),
            Target::Owner => "owner".into(),
        }
    }

    /// The record field this target writes, for naming errors.
    pub fn field(&self, kind: Kind) -> String {
        match self {
            Target::Field(f) => f.to_string(),
            Target::Address(field, _) => field.to_string(),
            Target::Custom(k) => format!("custom.{k}"),
            Target::Organization => match kind {
                Kind::Deal => "organization_id".into(),
                _ => "organizations".into(),
            },
            Target::FullName => "first_name".into(),
            Target::Amount => "amount_minor".into(),
            Target::Pipeline => "pipeline_id".into(),
            Target::Stage => "stage_id".into(),
            Target::Person => "people".into(),
            Target::Deal => "deals".into(),
            Target::Owner => "owner_id".into(),
        }
    }

    /// Reads a target name for a kind; `custom` lists the kind's custom fields.
    pub fn parse(kind: Kind, s: &str, custom: &[CustomField]) -> Result<Target, String> {
        let s = s.trim();
        let has = |f: &str| schema::field(kind, f).is_some_and(|f| f.access == Access::Write);
        if let Some(key) = s.strip_prefix("custom.") {
            if !kind.has_custom_fields() {
                return Err(format!("{kind} records have no custom fields"));
            }
            if !custom.iter().any(|d| d.key == key) {
                return Err(format!("no custom field '{key}' is defined for {}", kind.collection()));
            }
            return Ok(Target::Custom(key.to_string()));
        }
        if let Some((field, part)) = s.split_once('.') {
            let f = schema::field(kind, field).filter(|f| matches!(f.ty, FieldType::Address | FieldType::Addresses));
            let p = ADDRESS_PARTS.iter().find(|p| **p == part);
            return match (f, p) {
                (Some(f), Some(p)) => Ok(Target::Address(f.name, p)),
                _ => Err(format!("'{s}' is not a target of {}", kind.collection())),
            };
        }
        let special = match (s, kind) {
            ("organization", Kind::Person | Kind::Deal | Kind::Activity) => Some(Target::Organization),
            ("full_name", Kind::Person) => Some(Target::FullName),
            ("amount", Kind::Deal) => Some(Target::Amount),
            ("pipeline", Kind::Deal) => Some(Target::Pipeline),
            ("stage", Kind::Deal | Kind::Object) => Some(Target::Stage),
            ("person", Kind::Deal | Kind::Activity) => Some(Target::Person),
            ("deal", Kind::Activity) => Some(Target::Deal),
            ("owner", Kind::Person | Kind::Organization | Kind::Deal | Kind::Object) => Some(Target::Owner),
            ("type" | "pipeline_id", Kind::Object) => {
                return Err(format!("'{s}' is set by the import: its records are of the kind imported"));
            }
            _ => None,
        };
        if let Some(t) = special {
            return Ok(t);
        }
        match schema::field(kind, s) {
            Some(f) if f.access == Access::Write && has(f.name) => Ok(Target::Field(f.name)),
            Some(_) => Err(format!("'{s}' is computed by Rapport and cannot be imported")),
            None => Err(format!("'{s}' is not a target of {}; see the list of targets", kind.collection())),
        }
    }
}

/// Every target a kind offers, with a line of help, for clients building a mapping screen.
pub fn targets(kind: Kind, custom: &[CustomField]) -> Vec<Json> {
    let mut out = Vec::new();
    let fixed = |f: &str| kind == Kind::Object && matches!(f, "type" | "pipeline_id");
    for f in schema::fields(kind).iter().filter(|f| f.access == Access::Write && !fixed(f.name)) {
        match f.ty {
            FieldType::Address | FieldType::Addresses => {
                for p in ADDRESS_PARTS {
                    out.push(json!({"target": format!("{}.{p}", f.name), "doc": format!("{} ({})", f.doc, p.replace('_', " "))}));
                }
            }
            _ => out.push(json!({"target": f.name, "doc": f.doc})),
        }
    }
    let specials: &[(&str, &str)] = match kind {
        Kind::Person => &[
            ("full_name", "A whole name, split into first and last name."),
            ("organization", "An organization's name: found or created, and linked."),
            ("owner", "The owner, by a user's email."),
        ],
        Kind::Organization => &[("owner", "The owner, by a user's email.")],
        Kind::Deal => &[
            ("organization", "The buying organization's name: found or created."),
            ("amount", "The amount in major units (1234.50), in the deal's currency."),
            ("pipeline", "A pipeline, by name."),
            ("stage", "A stage of the deal's pipeline, by name."),
            ("person", "A person, by email or external id, linked."),
            ("owner", "The owner, by a user's email."),
        ],
        Kind::Activity => &[
            ("organization", "An organization's name: found or created, and linked."),
            ("person", "A person, by email or external id, linked."),
            ("deal", "A deal, by external id or name, linked."),
        ],
        Kind::Object => &[("stage", "A stage of the kind's pipeline, by name."), ("owner", "The owner, by a user's email.")],
        _ => &[],
    };
    for (t, d) in specials {
        out.push(json!({"target": t, "doc": d}));
    }
    for c in custom {
        out.push(json!({"target": format!("custom.{}", c.key), "doc": c.label}));
    }
    out
}

/// A mapping: for each source column, the target it fills. Columns not named are left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub kind: Kind,
    pub columns: Vec<(String, Target)>,
}

impl Mapping {
    /// Reads `{"Column": "target", ...}`, or `{"columns": {...}}`. A null or empty target skips the column.
    pub fn from_json(kind: Kind, v: &Json, custom: &[CustomField]) -> Result<Mapping, Vec<String>> {
        let obj = match v.get("columns").filter(|c| c.is_object()).unwrap_or(v) {
            Json::Object(o) => o,
            _ => return Err(vec!["a mapping is an object of source column -> target field".into()]),
        };
        let mut errors = Vec::new();
        let mut columns = Vec::new();
        for (col, target) in obj {
            match target {
                Json::Null => {}
                Json::String(s) if s.trim().is_empty() || s == "ignore" => {}
                Json::String(s) => match Target::parse(kind, s, custom) {
                    Ok(t) => columns.push((col.clone(), t)),
                    Err(e) => errors.push(format!("column '{col}': {e}")),
                },
                _ => errors.push(format!("column '{col}': the target must be a field name")),
            }
        }
        if errors.is_empty() { Ok(Mapping { kind, columns }) } else { Err(errors) }
    }

    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        for (c, t) in &self.columns {
            m.insert(c.clone(), Json::String(t.name()));
        }
        Json::Object(m)
    }

    /// The targets of a column (one, or none).
    pub fn target(&self, column: &str) -> Option<&Target> {
        self.columns.iter().find(|(c, _)| c == column).map(|(_, t)| t)
    }
}

/// A header made comparable: lower-case letters only, digits and punctuation dropped
/// (`E-mail 2 - Value` and `Email Value` meet at `emailvalue`).
pub fn normalize(header: &str) -> String {
    let folded = deunicode_lite(header);
    folded.chars().filter(|c| c.is_ascii_alphabetic()).map(|c| c.to_ascii_lowercase()).collect()
}

/// Folds the accents of Latin letters (`Prénom` -> `Prenom`).
fn deunicode_lite(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ä' => 'a',
            'ç' | 'Ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'Î' | 'Ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'Ô' | 'Ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'Ü' | 'Û' => 'u',
            'ß' => 's',
            other => other,
        })
        .collect()
}

/// Normalized headers and the target they suggest, per kind.
fn synonyms(kind: Kind) -> &'static [(&'static [&'static str], &'static str)] {
    match kind {
        Kind::Person => &[
            (&["firstname", "givenname", "first", "forename", "prenom", "vorname", "ngiven"], "first_name"),
            (&["lastname", "familyname", "surname", "last", "nom", "nachname", "nfamily"], "last_name"),
            (&["name", "fullname", "displayname", "contactname", "fn", "contact"], "full_name"),
            (
                &[
                    "email",
                    "emails",
                    "emailaddress",
                    "emailvalue",
                    "mail",
                    "emailaddresses",
                    "workemail",
                    "homeemail",
                    "otheremail",
                    "personalemail",
                    "primaryemail",
                    "businessemail",
                    "courriel",
                ],
                "emails",
            ),
            (
                &[
                    "phone",
                    "phones",
                    "phonenumber",
                    "phonevalue",
                    "telephone",
                    "tel",
                    "mobile",
                    "mobilephone",
                    "mobilephonenumber",
                    "businessphone",
                    "homephone",
                    "workphone",
                    "cellphone",
                    "cell",
                    "otherphone",
                    "primaryphone",
                    "telephonenumber",
                    "mobilenumber",
                    "portable",
                    "handy",
                ],
                "phones",
            ),
            (&["title", "jobtitle", "position", "organizationtitle", "role", "poste", "fonction"], "title"),
            (
                &[
                    "organization",
                    "company",
                    "companyname",
                    "organizationname",
                    "organisation",
                    "organisationname",
                    "accountname",
                    "account",
                    "employer",
                    "org",
                    "entreprise",
                    "societe",
                    "firma",
                ],
                "organization",
            ),
            (&["lifecyclestage", "stage", "lifecycle"], "lifecycle_stage"),
            (&["leadsource", "source", "originalsource", "origin"], "lead_source"),
            (&["preferredchannel"], "preferred_channel"),
            (&["tags", "tag", "labels", "categories", "groupmembership", "groups"], "tags"),
            (&["birthday", "birthdate", "dateofbirth", "bday", "dob"], "birthday"),
            (&["externalid", "id", "recordid", "contactid", "leadid", "uid"], "external_id"),
            (
                &[
                    "street",
                    "streetaddress",
                    "address",
                    "mailingstreet",
                    "businessstreet",
                    "homestreet",
                    "addressstreet",
                    "addressline",
                    "adrstreet",
                    "addressstreetaddress",
                    "adresse",
                    "rue",
                ],
                "address.street",
            ),
            (&["city", "mailingcity", "businesscity", "homecity", "addresscity", "town", "adrcity", "ville"], "address.city"),
            (
                &[
                    "state",
                    "region",
                    "stateregion",
                    "province",
                    "mailingstate",
                    "businessstate",
                    "homestate",
                    "addressregion",
                    "adrregion",
                ],
                "address.region",
            ),
            (
                &[
                    "postalcode",
                    "zip",
                    "zipcode",
                    "postcode",
                    "mailingpostalcode",
                    "businesspostalcode",
                    "homepostalcode",
                    "addresspostalcode",
                    "adrpostalcode",
                    "codepostal",
                ],
                "address.postal_code",
            ),
            (
                &[
                    "country",
                    "countryregion",
                    "mailingcountry",
                    "businesscountryregion",
                    "businesscountry",
                    "homecountryregion",
                    "addresscountry",
                    "adrcountry",
                    "pays",
                ],
                "address.country",
            ),
            (&["donotemail", "emailoptout", "hasoptedoutofemail", "unsubscribed"], "do_not_email"),
            (&["donotcall", "hasoptedoutoffax"], "do_not_call"),
            (&["donottext"], "do_not_text"),
            (&["owneremail", "owner"], "owner"),
        ],
        Kind::Organization => &[
            (
                &[
                    "name",
                    "companyname",
                    "company",
                    "organization",
                    "organizationname",
                    "organisation",
                    "accountname",
                    "account",
                    "fn",
                    "org",
                ],
                "name",
            ),
            (&["domain", "domains", "companydomainname", "domainname", "emaildomain"], "domains"),
            (&["website", "websiteurl", "url", "web", "webpage", "homepage", "site"], "website"),
            (&["industry", "sector"], "industry"),
            (&["size", "numberofemployees", "employees", "headcount", "companysize"], "size"),
            (&["relationship", "type", "accounttype"], "relationship"),
            (&["phone", "phones", "phonenumber", "telephone", "companyphone", "mainphone", "tel"], "phones"),
            (&["tags", "tag", "labels", "categories"], "tags"),
            (&["externalid", "id", "recordid", "companyid", "accountid", "uid"], "external_id"),
            (&["street", "streetaddress", "address", "billingstreet", "addressstreet", "adrstreet"], "addresses.street"),
            (&["city", "billingcity", "addresscity", "town", "adrcity"], "addresses.city"),
            (&["state", "region", "stateregion", "province", "billingstate", "addressregion", "adrregion"], "addresses.region"),
            (
                &["postalcode", "zip", "zipcode", "postcode", "billingpostalcode", "addresspostalcode", "adrpostalcode"],
                "addresses.postal_code",
            ),
            (&["country", "countryregion", "billingcountry", "addresscountry", "adrcountry"], "addresses.country"),
            (&["owneremail", "owner"], "owner"),
        ],
        Kind::Deal => &[
            (&["name", "dealname", "opportunityname", "deal", "title", "opportunity"], "name"),
            (&["amount", "dealamount", "value", "dealvalue"], "amount"),
            (&["amountminor"], "amount_minor"),
            (&["currency", "currencyisocode", "dealcurrencycode", "currencycode"], "currency"),
            (&["closedate", "expectedclosedate", "closingdate", "expectedclose"], "expected_close_date"),
            (&["stage", "dealstage", "stagename"], "stage"),
            (&["pipeline", "pipelinename"], "pipeline"),
            (&["status", "dealstatus"], "status"),
            (&["organization", "company", "companyname", "account", "accountname", "organizationname"], "organization"),
            (&["person", "contact", "contactemail", "email", "personemail"], "person"),
            (&["lostreason", "closedlostreason", "reasonlost"], "lost_reason"),
            (&["nextstep"], "next_step"),
            (&["tags", "tag", "labels"], "tags"),
            (&["externalid", "id", "recordid", "dealid", "opportunityid"], "external_id"),
            (&["owneremail", "owner"], "owner"),
        ],
        Kind::Activity => &[
            (&["type", "activitytype", "kind", "engagementtype", "tasksubtype"], "type"),
            (&["subject", "title"], "subject"),
            (&["body", "notes", "note", "description", "comments", "details", "content"], "body"),
            (&["occurredat", "date", "timestamp", "activitydate", "createddate", "datetime", "time", "when"], "occurred_at"),
            (&["durationseconds", "duration", "callduration"], "duration_seconds"),
            (&["direction", "calldirection"], "direction"),
            (&["outcome", "calloutcome", "result", "disposition"], "outcome"),
            (&["person", "contact", "contactemail", "email", "personemail", "whoid"], "person"),
            (&["organization", "company", "companyname", "account", "accountname"], "organization"),
            (&["deal", "dealname", "opportunity", "opportunityname", "whatid"], "deal"),
            (&["externalid", "id", "recordid", "activityid", "engagementid"], "external_id"),
        ],
        // A custom kind's own fields are matched by their labels and keys.
        Kind::Object => &[
            (&["name", "title", "recordname"], "name"),
            (&["stage", "stagename"], "stage"),
            (&["status"], "status"),
            (&["tags", "tag", "labels"], "tags"),
            (&["owneremail", "owner"], "owner"),
        ],
        _ => &[],
    }
}

fn is_id_field(kind: Kind, t: &Target) -> bool {
    match t {
        Target::Field(name) => schema::field(kind, name).is_some_and(|f| {
            matches!(f.ty, FieldType::Ref(_) | FieldType::Links { .. } | FieldType::Pipeline | FieldType::Stage)
        }),
        _ => false,
    }
}

/// One column's suggestion.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub column: String,
    /// 1-based position in the header row.
    pub number: usize,
    pub target: Option<String>,
    /// `exact` when the header is a target's own name, `synonym` when it is a known header.
    pub confidence: Option<&'static str>,
}

/// Suggests a target for each column of a header row.
pub fn suggest(kind: Kind, headers: &[String], custom: &[CustomField]) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            // Ids of other records are only meaningful in the workspace they came from: never suggested.
            let exact = Target::parse(kind, h, custom).ok().filter(|t| !is_id_field(kind, t)).map(|t| t.name());
            // Rapport's own exports: `id` is the record's id there, `external_id` its external id.
            if h.trim() == "id" && headers.iter().any(|o| o.trim() == "external_id") {
                return Suggestion { column: h.clone(), number: i + 1, target: None, confidence: None };
            }
            let (target, confidence) = match exact {
                Some(t) => (Some(t), Some("exact")),
                None => {
                    let n = normalize(h);
                    let custom_hit = custom
                        .iter()
                        .find(|c| normalize(&c.label) == n || normalize(&c.key) == n)
                        .map(|c| format!("custom.{}", c.key));
                    let hit = custom_hit.or_else(|| {
                        synonyms(kind).iter().find(|(names, _)| names.contains(&n.as_str())).map(|(_, t)| t.to_string())
                    });
                    let confidence = hit.as_ref().map(|_| "synonym");
                    (hit, confidence)
                }
            };
            Suggestion { column: h.clone(), number: i + 1, target, confidence }
        })
        .collect();
    let has = |out: &[Suggestion], t: &str| out.iter().any(|s| s.target.as_deref() == Some(t));
    let drop = |out: &mut Vec<Suggestion>, t: &str| {
        for s in out.iter_mut().filter(|s| s.target.as_deref() == Some(t)) {
            s.target = None;
            s.confidence = None;
        }
    };
    // A whole name only when there is no first or last name.
    if has(&out, "first_name") || has(&out, "last_name") {
        drop(&mut out, "full_name");
    }
    // Names beat ids, which would not exist in another workspace.
    if has(&out, "organization") {
        drop(&mut out, "organizations");
        drop(&mut out, "organization_id");
    }
    if has(&out, "stage") {
        drop(&mut out, "stage_id");
    }
    if has(&out, "pipeline") {
        drop(&mut out, "pipeline_id");
    }
    if has(&out, "amount_minor") {
        drop(&mut out, "amount");
    }
    if has(&out, "owner") {
        drop(&mut out, "owner_id");
    }
    // Scalar fields take one column: the first.
    let lists = ["emails", "phones", "tags", "domains", "organization", "person", "deal"];
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for s in out.iter_mut() {
        let Some(t) = s.target.clone() else { continue };
        let n = seen.entry(t.clone()).or_insert(0);
        *n += 1;
        if *n > 1 && !lists.contains(&t.as_str()) && !t.starts_with("address") {
            s.target = None;
            s.confidence = None;
        }
    }
    out
}

/// The suggested mapping for a header row.
pub fn suggested_mapping(kind: Kind, headers: &[String], custom: &[CustomField]) -> Mapping {
    let columns = suggest(kind, headers, custom)
        .into_iter()
        .filter_map(|s| {
            let t = Target::parse(kind, s.target.as_deref()?, custom).ok()?;
            Some((s.column, t))
        })
        .collect();
    Mapping { kind, columns }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(kind: Kind, headers: &[&str]) -> Vec<(String, Option<String>)> {
        let h: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
        suggest(kind, &h, &[]).into_iter().map(|s| (s.column, s.target)).collect()
    }

    fn target_of(m: &[(String, Option<String>)], col: &str) -> Option<String> {
        m.iter().find(|(c, _)| c == col).and_then(|(_, t)| t.clone())
    }

    #[test]
    fn common_exports_are_recognized() {
        let google = map(
            Kind::Person,
            &[
                "Name",
                "Given Name",
                "Family Name",
                "E-mail 1 - Type",
                "E-mail 1 - Value",
                "E-mail 2 - Value",
                "Phone 1 - Value",
                "Organization 1 - Name",
                "Organization 1 - Title",
                "Birthday",
                "Group Membership",
            ],
        );
        for (c, t) in [
            ("Given Name", "first_name"),
            ("Family Name", "last_name"),
            ("E-mail 1 - Value", "emails"),
            ("E-mail 2 - Value", "emails"),
            ("Phone 1 - Value", "phones"),
            ("Organization 1 - Name", "organization"),
            ("Organization 1 - Title", "title"),
            ("Birthday", "birthday"),
            ("Group Membership", "tags"),
        ] {
            assert_eq!(target_of(&google, c).as_deref(), Some(t), "{c}");
        }
        assert_eq!(target_of(&google, "Name"), None, "a whole name is not used beside first and last names");
        assert_eq!(target_of(&google, "E-mail 1 - Type"), None);
        let mapping = suggested_mapping(Kind::Person, &["Name".to_string()], &[]);
        assert_eq!(mapping.columns, vec![("Name".to_string(), Target::FullName)]);
        let rapport = map(
            Kind::Person,
            &["id", "first_name", "name", "emails", "address.city", "external_id", "organization", "organizations"],
        );
        assert_eq!(target_of(&rapport, "id"), None);
        assert_eq!(target_of(&rapport, "name"), None, "computed");
        assert_eq!(target_of(&rapport, "address.city").as_deref(), Some("address.city"));
        assert_eq!(target_of(&rapport, "organizations"), None);
        assert_eq!(normalize("E-mail 2 - Value"), "emailvalue");
    }
}
