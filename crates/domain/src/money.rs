//! Exact money: amounts are integers in the currency's minor unit, never floats.

use iso_currency::Currency;

/// Returns the upper-cased ISO 4217 code if it names a currency.
pub fn parse_currency(code: &str) -> Option<&'static str> {
    Currency::from_code(&code.trim().to_uppercase()).map(|c| c.code())
}

/// Digits after the decimal point for the currency (2 for EUR, 0 for JPY, 3 for KWD).
pub fn exponent(code: &str) -> u32 {
    Currency::from_code(code).and_then(|c| c.exponent()).map(u32::from).unwrap_or(2)
}

/// The currency's usual sign (`€`, `$`, `£`), or its code when it has none.
pub fn symbol(code: &str) -> String {
    Currency::from_code(code).map(|c| c.symbol().symbol).unwrap_or_else(|| code.to_string())
}

/// Formats minor units as a decimal string in major units: `123450, EUR` is `1234.50`.
pub fn format_minor(minor: i64, code: &str) -> String {
    let exp = exponent(code);
    if exp == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(exp);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:0width$}", abs / scale as u64, abs % scale as u64, width = exp as usize)
}

/// Parses a decimal amount in major units (`"1234.5"`) into minor units, refusing
/// more decimals than the currency has.
pub fn parse_major(text: &str, code: &str) -> Result<i64, String> {
    let exp = exponent(code) as usize;
    let t = text.trim();
    let (neg, t) = t.strip_prefix('-').map(|r| (true, r)).unwrap_or((false, t));
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("'{text}' is not a decimal amount"));
    }
    if frac.len() > exp {
        return Err(format!("{code} has {exp} decimal places"));
    }
    let padded = format!("{whole}{frac:0<exp$}");
    let v: i64 = padded.parse().map_err(|_| format!("'{text}' is too large"))?;
    Ok(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies() {
        assert_eq!(parse_currency("eur"), Some("EUR"));
        assert_eq!(parse_currency("XYZ"), None);
        assert_eq!(exponent("JPY"), 0);
        assert_eq!(exponent("KWD"), 3);
    }

    #[test]
    fn minor_units_round_trip() {
        assert_eq!(format_minor(123450, "EUR"), "1234.50");
        assert_eq!(format_minor(5, "EUR"), "0.05");
        assert_eq!(format_minor(-5, "EUR"), "-0.05");
        assert_eq!(format_minor(1500, "JPY"), "1500");
        assert_eq!(parse_major("1234.5", "EUR"), Ok(123450));
        assert_eq!(parse_major("1500", "JPY"), Ok(1500));
        assert!(parse_major("1.234", "EUR").is_err());
        assert!(parse_major("abc", "EUR").is_err());
    }
}
