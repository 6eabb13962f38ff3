//! Recurring tasks: `{"frequency": "weekly", "interval": 2, "until": "2027-06-30"}`.
//! When a recurring task is done, the next occurrence is due one interval
//! after the done one's due date; none once that passes `until`. Monthly and
//! yearly series keep their day of the month (`day_of_month`, taken from the
//! first due date): the 31st falls on the 28th in February and on the 31st again
//! in March.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use serde_json::{Map, Value as Json, json};

use crate::ValidationErrors;

pub const FREQUENCIES: &[&str] = &["daily", "weekly", "monthly", "yearly"];
pub const MAX_INTERVAL: i64 = 999;
const KEYS: &[&str] = &["frequency", "interval", "until", "day_of_month"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recurrence {
    pub frequency: Frequency,
    pub interval: u32,
    /// The last day an occurrence may fall on.
    pub until: Option<NaiveDate>,
    /// The day of the month monthly and yearly occurrences fall on (or the
    /// month's last day when it is shorter).
    pub day_of_month: Option<u32>,
}

impl Recurrence {
    /// Reads a recurrence, naming every part at fault under `name` (`recurrence.interval`).
    pub fn parse(name: &str, v: &Json, errs: &mut ValidationErrors) -> Option<Recurrence> {
        let Some(o) = v.as_object() else {
            errs.push(
                name,
                "invalid_type",
                "expected an object: {\"frequency\": \"weekly\", \"interval\": 1, \"until\": \"YYYY-MM-DD\"}",
            );
            return None;
        };
        let before = errs.0.len();
        for k in o.keys().filter(|k| !KEYS.contains(&k.as_str())) {
            errs.push(format!("{name}.{k}"), "unknown_field", format!("a recurrence has: {}", KEYS.join(", ")));
        }
        let frequency = match o.get("frequency").and_then(Json::as_str) {
            Some("daily") => Some(Frequency::Daily),
            Some("weekly") => Some(Frequency::Weekly),
            Some("monthly") => Some(Frequency::Monthly),
            Some("yearly") => Some(Frequency::Yearly),
            None if o.get("frequency").is_none_or(Json::is_null) => {
                errs.push(format!("{name}.frequency"), "required", format!("one of: {}", FREQUENCIES.join(", ")));
                None
            }
            _ => {
                errs.push_with(
                    format!("{name}.frequency"),
                    "invalid",
                    format!("expected one of: {}", FREQUENCIES.join(", ")),
                    &[("values", FREQUENCIES.join(", "))],
                );
                None
            }
        };
        let interval = match o.get("interval") {
            None | Some(Json::Null) => Some(1),
            Some(v) => match v.as_i64() {
                Some(n) if (1..=MAX_INTERVAL).contains(&n) => Some(n as u32),
                _ => {
                    errs.push_with(
                        format!("{name}.interval"),
                        "out_of_range",
                        format!("an integer from 1 to {MAX_INTERVAL}"),
                        &[("min", "1".into()), ("max", MAX_INTERVAL.to_string())],
                    );
                    None
                }
            },
        };
        let until = match o.get("until") {
            None | Some(Json::Null) => None,
            Some(v) => match v.as_str().map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d")) {
                Some(Ok(d)) => Some(d),
                _ => {
                    errs.push(format!("{name}.until"), "invalid_type", "expected a date (YYYY-MM-DD)");
                    None
                }
            },
        };
        let day_of_month = match o.get("day_of_month") {
            None | Some(Json::Null) => None,
            Some(v) => match v.as_u64() {
                Some(d) if (1..=31).contains(&d) => Some(d as u32),
                _ => {
                    errs.push_with(
                        format!("{name}.day_of_month"),
                        "out_of_range",
                        "an integer from 1 to 31",
                        &[("min", "1".into()), ("max", "31".into())],
                    );
                    None
                }
            },
        };
        if errs.0.len() != before {
            return None;
        }
        Some(Recurrence { frequency: frequency?, interval: interval?, until, day_of_month })
    }

    pub fn from_json(v: &Json) -> Option<Recurrence> {
        Recurrence::parse("recurrence", v, &mut ValidationErrors::default())
    }

    /// The stored form: every key written out.
    pub fn to_json(&self) -> Json {
        let frequency = match self.frequency {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::Yearly => "yearly",
        };
        let mut o = Map::new();
        o.insert("frequency".into(), json!(frequency));
        o.insert("interval".into(), json!(self.interval));
        o.insert("until".into(), json!(self.until.map(|d| d.to_string())));
        if let Some(d) = self.day_of_month {
            o.insert("day_of_month".into(), json!(d));
        }
        Json::Object(o)
    }

    /// The series with its day of the month fixed from its first due date, so that
    /// a month too short for it does not move every later occurrence.
    pub fn anchored(self, due: DateTime<Utc>) -> Recurrence {
        match self.frequency {
            Frequency::Monthly | Frequency::Yearly if self.day_of_month.is_none() => {
                Recurrence { day_of_month: Some(due.day()), ..self }
            }
            _ => self,
        }
    }

    /// When the occurrence after one due at `due` is due; `None` when the series has ended.
    /// Months are added by the calendar: the 31st becomes the last day of a shorter month.
    pub fn next(&self, due: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let n = self.interval;
        let next = match self.frequency {
            Frequency::Daily => due.checked_add_days(Days::new(n.into()))?,
            Frequency::Weekly => due.checked_add_days(Days::new(7 * u64::from(n)))?,
            Frequency::Monthly => self.months_on(due, n)?,
            Frequency::Yearly => self.months_on(due, n.checked_mul(12)?)?,
        };
        match self.until {
            Some(last) if next.date_naive() > last => None,
            _ => Some(next),
        }
    }

    /// `months` after `due`, on the series' day of the month (or the month's last day).
    fn months_on(&self, due: DateTime<Utc>, months: u32) -> Option<DateTime<Utc>> {
        // From the 1st, so that adding months never clamps; then the day.
        let first = due.checked_sub_days(Days::new(u64::from(due.day() - 1)))?.checked_add_months(Months::new(months))?;
        let want = self.day_of_month.unwrap_or(due.day());
        let last_day = (28..=31).rev().find(|d| first.with_day(*d).is_some())?;
        first.with_day(want.min(last_day))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn fields(v: Json) -> Vec<String> {
        let mut errs = ValidationErrors::default();
        Recurrence::parse("recurrence", &v, &mut errs);
        errs.0.into_iter().map(|e| format!("{} {}", e.field, e.code)).collect()
    }

    #[test]
    fn each_fault_is_named() {
        assert_eq!(fields(json!("weekly")), ["recurrence invalid_type"]);
        assert_eq!(fields(json!({})), ["recurrence.frequency required"]);
        assert_eq!(
            fields(json!({"frequency": "hourly", "interval": 0, "until": "soon", "count": 3})),
            [
                "recurrence.count unknown_field",
                "recurrence.frequency invalid",
                "recurrence.interval out_of_range",
                "recurrence.until invalid_type"
            ]
        );
        assert!(fields(json!({"frequency": "monthly", "interval": 2, "until": "2027-01-31"})).is_empty());
    }

    #[test]
    fn next_occurrences_follow_the_calendar_and_stop_at_until() {
        let r = |f: &str, i: u32, until: Option<&str>| {
            Recurrence::from_json(&json!({"frequency": f, "interval": i, "until": until})).unwrap()
        };
        let due = at("2027-01-31T09:00:00Z");
        assert_eq!(r("daily", 3, None).next(due), Some(at("2027-02-03T09:00:00Z")));
        assert_eq!(r("weekly", 2, None).next(due), Some(at("2027-02-14T09:00:00Z")));
        assert_eq!(r("monthly", 1, None).next(due), Some(at("2027-02-28T09:00:00Z")));
        assert_eq!(r("yearly", 1, None).next(at("2028-02-29T09:00:00Z")), Some(at("2029-02-28T09:00:00Z")));
        assert_eq!(r("weekly", 1, Some("2027-02-07")).next(due), Some(at("2027-02-07T09:00:00Z")), "until is inclusive");
        assert_eq!(r("weekly", 1, Some("2027-02-06")).next(due), None);
        assert_eq!(r("daily", 1, None).to_json(), json!({"frequency": "daily", "interval": 1, "until": null}));
    }

    #[test]
    fn monthly_series_keep_their_day_after_a_short_month() {
        let monthly = Recurrence::from_json(&json!({"frequency": "monthly"})).unwrap().anchored(at("2027-01-31T09:00:00Z"));
        assert_eq!(monthly.day_of_month, Some(31));
        let mut due = at("2027-01-31T09:00:00Z");
        let mut seen = vec![];
        for _ in 0..4 {
            due = monthly.next(due).unwrap();
            seen.push(due.date_naive().to_string());
        }
        assert_eq!(seen, ["2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"]);
        let leap = Recurrence::from_json(&json!({"frequency": "yearly"})).unwrap().anchored(at("2028-02-29T09:00:00Z"));
        let next = leap.next(at("2028-02-29T09:00:00Z")).unwrap();
        assert_eq!(next, at("2029-02-28T09:00:00Z"));
        assert_eq!(Recurrence { interval: 3, ..leap }.next(next), Some(at("2032-02-29T09:00:00Z")));
        assert_eq!(monthly.to_json()["day_of_month"], 31, "kept in the stored form");
        let weekly = Recurrence::from_json(&json!({"frequency": "weekly"})).unwrap();
        assert_eq!(weekly.anchored(at("2027-01-31T09:00:00Z")).day_of_month, None);
        assert_eq!(fields(json!({"frequency": "monthly", "day_of_month": 32})), ["recurrence.day_of_month out_of_range"]);
    }
}
