//! Dates, times, numbers and money as the reader expects them: in their
//! locale and time zone. Everything is stored in UTC; conversion happens only here.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use num_format::{Locale as Digits, ToFormattedString};
use rapport_domain::money;

/// The locales Rapport formats for; others fall back to the closest by language.
const LOCALES: &[(&str, chrono::Locale, Digits, SymbolAt)] = &[
    ("en-US", chrono::Locale::en_US, Digits::en, SymbolAt::Before),
    ("en-GB", chrono::Locale::en_GB, Digits::en, SymbolAt::Before),
    ("de-DE", chrono::Locale::de_DE, Digits::de, SymbolAt::After),
    ("fr-FR", chrono::Locale::fr_FR, Digits::fr, SymbolAt::After),
    ("es-ES", chrono::Locale::es_ES, Digits::es, SymbolAt::After),
    ("it-IT", chrono::Locale::it_IT, Digits::it, SymbolAt::After),
    ("nl-NL", chrono::Locale::nl_NL, Digits::nl, SymbolAt::Before),
    ("pt-BR", chrono::Locale::pt_BR, Digits::pt, SymbolAt::Before),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum SymbolAt {
    Before,
    After,
}

/// The locale tags offered in settings.
pub fn locale_tags() -> impl Iterator<Item = &'static str> {
    LOCALES.iter().map(|l| l.0)
}

#[derive(Clone, Debug)]
pub struct Format {
    pub tag: &'static str,
    time: chrono::Locale,
    digits: Digits,
    symbol_at: SymbolAt,
    pub tz: Tz,
}

impl Format {
    /// The best match for a locale tag (or an `Accept-Language` list) and an IANA time zone name.
    pub fn new(locale: &str, tz: &str) -> Format {
        let wanted: Vec<String> = locale
            .split(',')
            .map(|p| p.split(';').next().unwrap_or("").trim().replace('_', "-").to_ascii_lowercase())
            .filter(|p| !p.is_empty())
            .collect();
        let exact = wanted.iter().find_map(|w| LOCALES.iter().find(|l| l.0.eq_ignore_ascii_case(w)));
        let by_lang = || wanted.iter().find_map(|w| LOCALES.iter().find(|l| l.0.split('-').next() == w.split('-').next()));
        let l = exact.or_else(by_lang).unwrap_or(&LOCALES[0]);
        Format { tag: l.0, time: l.1, digits: l.2, symbol_at: l.3, tz: tz.parse().unwrap_or(Tz::UTC) }
    }

    pub fn now_local(&self) -> DateTime<Tz> {
        Utc::now().with_timezone(&self.tz)
    }

    /// The reader's calendar date of an instant.
    pub fn local_date(&self, t: &DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// The instant the reader's day `d` begins: its first midnight where a
    /// clock change repeats it, the first hour after where one skips it.
    pub fn start_of_day(&self, d: NaiveDate) -> DateTime<Utc> {
        (0..3)
            .filter_map(|h| d.and_hms_opt(h, 0, 0)?.and_local_timezone(self.tz).earliest())
            .map(|t| t.with_timezone(&Utc))
            .next()
            .unwrap_or_else(|| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
    }

    pub fn date(&self, d: &NaiveDate) -> String {
        d.format_localized("%x", self.time).to_string()
    }

    /// A date with its weekday and month spelled out: "Tuesday, 24 November".
    pub fn long_date(&self, d: &NaiveDate) -> String {
        let pattern = if self.tag == "en-US" { "%A, %B %-d" } else { "%A %-d %B" };
        d.format_localized(pattern, self.time).to_string()
    }

    pub fn time(&self, t: &DateTime<Utc>) -> String {
        let pattern = if self.tag == "en-US" { "%-I:%M %p" } else { "%H:%M" };
        t.with_timezone(&self.tz).format_localized(pattern, self.time).to_string()
    }

    pub fn datetime(&self, t: &DateTime<Utc>) -> String {
        format!("{} {}", self.date(&self.local_date(t)), self.time(t))
    }

    pub fn number(&self, n: i64) -> String {
        n.to_formatted_string(&self.digits)
    }

    /// A decimal number with the locale's grouping and decimal mark: `1234.5`
    /// is `1,234.5` in en-US, `1.234,5` in de-DE.
    pub fn decimal(&self, n: f64) -> String {
        if !n.is_finite() {
            return n.to_string();
        }
        // The shortest text that reads back as the same number, then localized.
        let plain = format!("{}", n.abs());
        let (whole, frac) = plain.split_once('.').unwrap_or((&plain, ""));
        let mut text = whole.parse::<u64>().map(|w| w.to_formatted_string(&self.digits)).unwrap_or_else(|_| whole.to_string());
        if !frac.is_empty() {
            text.push_str(self.digits.decimal());
            text.push_str(frac);
        }
        let sign = if n < 0.0 { self.digits.minus_sign() } else { "" };
        format!("{sign}{text}")
    }

    /// An amount in minor units: `123450, EUR` is `€1,234.50` in en-US, `1.234,50 €` in de-DE.
    pub fn money(&self, minor: i64, currency: &str) -> String {
        let exp = money::exponent(currency);
        let scale = 10i64.pow(exp);
        let major = (minor.unsigned_abs() / scale as u64) as i64;
        let mut text = major.to_formatted_string(&self.digits);
        if exp > 0 {
            text.push_str(self.digits.decimal());
            text.push_str(&format!("{:0width$}", minor.unsigned_abs() % scale as u64, width = exp as usize));
        }
        let sign = if minor < 0 { self.digits.minus_sign() } else { "" };
        let symbol = money::symbol(currency);
        match self.symbol_at {
            SymbolAt::Before => format!("{sign}{symbol}{text}"),
            SymbolAt::After => format!("{sign}{text}\u{a0}{symbol}"),
        }
    }

    /// A stored value (RFC 3339 text or a date) for display; empty when absent.
    pub fn stored(&self, v: &serde_json::Value) -> String {
        let Some(s) = v.as_str() else { return String::new() };
        if let Some(t) = rapport_domain::validate::parse_datetime(s) {
            self.datetime(&t)
        } else if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            self.date(&d)
        } else {
            s.to_string()
        }
    }

    /// The value of a `datetime-local` input showing a stored instant in the reader's zone.
    pub fn input_datetime(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).format("%Y-%m-%dT%H:%M").to_string()
    }

    /// Reads a `datetime-local` input typed in the reader's zone.
    pub fn parse_input_datetime(&self, s: &str) -> Option<DateTime<Utc>> {
        let naive = chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M")
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M:%S"))
            .ok()?;
        naive.and_local_timezone(self.tz).earliest().map(|t| t.with_timezone(&Utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_the_readers_midnight() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let paris = Format::new("fr", "Europe/Paris");
        assert_eq!(paris.start_of_day(day(2026, 7, 1)).to_rfc3339(), "2026-06-30T22:00:00+00:00");
        assert_eq!(paris.start_of_day(day(2026, 1, 1)).to_rfc3339(), "2025-12-31T23:00:00+00:00");
        // São Paulo skipped midnight on 4 November 2018: the day began at 01:00.
        let sao_paulo = Format::new("pt-BR", "America/Sao_Paulo");
        assert_eq!(sao_paulo.start_of_day(day(2018, 11, 4)).to_rfc3339(), "2018-11-04T03:00:00+00:00");
        // Havana repeated midnight on 5 November 2023 (1:00 back to 0:00): the first one.
        let havana = Format::new("es", "America/Havana");
        assert_eq!(havana.start_of_day(day(2023, 11, 5)).to_rfc3339(), "2023-11-05T04:00:00+00:00");
    }

    #[test]
    fn money_follows_the_locale() {
        assert_eq!(Format::new("en-US", "UTC").money(123450, "EUR"), "€1,234.50");
        assert_eq!(Format::new("de-DE", "UTC").money(123450, "EUR"), "1.234,50\u{a0}€");
        assert_eq!(Format::new("en", "UTC").money(-5, "USD"), "-$0.05");
        assert_eq!(Format::new("fr", "UTC").money(1000, "JPY"), "1\u{202f}000\u{a0}¥");
    }

    #[test]
    fn decimals_follow_the_locale() {
        assert_eq!(Format::new("en-US", "UTC").decimal(1234.5), "1,234.5");
        assert_eq!(Format::new("de-DE", "UTC").decimal(1234.5), "1.234,5");
        assert_eq!(Format::new("fr", "UTC").decimal(-0.25), "-0,25");
        assert_eq!(Format::new("en", "UTC").decimal(12.0), "12");
    }

    #[test]
    fn accept_language_picks_the_best_supported_locale() {
        assert_eq!(Format::new("de-CH,de;q=0.9,en;q=0.8", "UTC").tag, "de-DE");
        assert_eq!(Format::new("en-GB", "UTC").tag, "en-GB");
        assert_eq!(Format::new("xx", "UTC").tag, "en-US");
        assert_eq!(Format::new("", "UTC").tag, "en-US");
    }

    #[test]
    fn times_are_shown_in_the_readers_zone() {
        let t = DateTime::parse_from_rfc3339("2026-11-24T23:30:00Z").unwrap().with_timezone(&Utc);
        let paris = Format::new("fr-FR", "Europe/Paris");
        assert_eq!(paris.time(&t), "00:30");
        assert_eq!(paris.local_date(&t).to_string(), "2026-11-25");
        let ny = Format::new("en-US", "America/New_York");
        assert_eq!(ny.time(&t), "6:30 PM");
        assert_eq!(ny.input_datetime(&t), "2026-11-24T18:30");
        assert_eq!(ny.parse_input_datetime("2026-11-24T18:30"), Some(t));
        assert_eq!(Format::new("en", "Not/AZone").tz, Tz::UTC);
    }
}
