//! Field checks shared by every write body. Each check records a
//! [`FieldError`]; `finish` turns them into one validation problem, so a
//! client learns about every bad field at once.

use crate::error::{ApiError, FieldError};

#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn new() -> Self {
        Checks::default()
    }

    pub fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// A single line of text (a name): like [`Checks::text`], without line breaks.
    pub fn line(&mut self, field: &str, value: &str, min: usize, max: usize) {
        if value.contains(['\n', '\r']) {
            self.fail(field, "must be a single line");
        } else {
            self.text(field, value, min, max);
        }
    }

    /// Required text: trimmed length between `min` and `max` characters, no
    /// control characters but line breaks and tabs.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) {
        if value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            self.fail(field, "must not contain control characters");
            return;
        }
        let n = value.trim().chars().count();
        if n < min {
            self.fail(
                field,
                if min == 1 {
                    "must not be empty".to_owned()
                } else {
                    format!("must have at least {min} characters")
                },
            );
        } else if value.chars().count() > max {
            self.fail(field, format!("must have at most {max} characters"));
        }
    }

    /// Optional text: when present, 1 to `max` characters.
    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(v) = value {
            self.text(field, v, 1, max);
        }
    }

    /// A list of short free-text items.
    pub fn text_list(&mut self, field: &str, items: &[String], max_items: usize, max_len: usize) {
        if items.len() > max_items {
            self.fail(field, format!("must have at most {max_items} items"));
        }
        for (i, item) in items.iter().enumerate() {
            self.text(&format!("{field}[{i}]"), item, 1, max_len);
        }
    }

    /// An absolute `http` or `https` URL.
    pub fn url(&mut self, field: &str, value: Option<&str>) {
        let Some(v) = value else { return };
        match url::Url::parse(v) {
            Ok(u)
                if (u.scheme() == "https" || u.scheme() == "http")
                    && u.host_str().is_some()
                    && v.len() <= 2000 => {}
            _ => self.fail(field, "must be an absolute http or https URL"),
        }
    }

    pub fn email(&mut self, field: &str, value: Option<&str>) {
        let Some(v) = value else { return };
        let ok = v.len() <= 254
            && !v.contains(char::is_whitespace)
            && v.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if !ok {
            self.fail(field, "must be an email address");
        }
    }

    /// A phone number that libphonenumber holds valid: international, with
    /// `+` and the country code (`+44 20 7946 0000`), or national for
    /// `country`, the listing's own when it has one (`020 7946 0000` in
    /// `GB`). Stored as written.
    pub fn phone(&mut self, field: &str, value: Option<&str>, country: Option<&str>) {
        if let Some(v) = value {
            if let Err(message) = check_phone(v, country, false) {
                self.fail(field, message);
            }
        }
    }

    /// A helpline's number: a [`Checks::phone`], or a short code dialled
    /// within `country` (`116 123`, `988`).
    pub fn helpline(&mut self, field: &str, value: Option<&str>, country: Option<&str>) {
        if let Some(v) = value {
            if let Err(message) = check_phone(v, country, true) {
                self.fail(field, message);
            }
        }
    }

    /// A BCP 47 language tag of a real language, such as `en`, `pt-BR` or
    /// `zh-Hant` (see [`is_language`]).
    pub fn language(&mut self, field: &str, value: &str) {
        if !is_language(value) {
            self.fail(
                field,
                "must be a BCP 47 language tag of a real language, such as `en`, `pt-BR` or `zh-Hant`",
            );
        }
    }

    /// An assigned ISO 3166-1 alpha-2 country code, upper case (see
    /// [`is_country`]).
    pub fn country(&mut self, field: &str, value: Option<&str>) {
        if let Some(v) = value {
            if !is_country(v) {
                self.fail(
                    field,
                    "must be an assigned ISO 3166-1 alpha-2 country code in upper case, such as `GB`",
                );
            }
        }
    }

    /// An IANA time-zone name (never a numeric offset).
    pub fn timezone(&mut self, field: &str, value: &str) -> Option<chrono_tz::Tz> {
        match value.parse::<chrono_tz::Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                self.fail(
                    field,
                    "must be an IANA time-zone name such as `Europe/London`",
                );
                None
            }
        }
    }

    pub fn range_i64(&mut self, field: &str, value: Option<i64>, min: i64, max: i64) {
        if let Some(v) = value {
            if v < min || v > max {
                self.fail(field, format!("must be between {min} and {max}"));
            }
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// Whether `code` is an assigned ISO 3166-1 alpha-2 country code in upper
/// case (`GB`, not `gb`, `ZZ` or `UK`). `XK` (Kosovo) counts: it is not
/// assigned by ISO but used as one (CLDR, libphonenumber, the EU).
pub fn is_country(code: &str) -> bool {
    code.len() == 2
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && celes::Country::from_alpha2(code).is_ok()
}

/// Whether `tag` is a BCP 47 language tag (RFC 5646, any case, at most 35
/// characters) that is valid: its language, script, region and variant
/// subtags are in the IANA Language Subtag Registry, and its language is a
/// real one, an ISO 639 code (`en`, `yue`), not private use (`qaa`–`qtz`,
/// `x-…`) nor a grandfathered oddity (`i-klingon`).
pub fn is_language(tag: &str) -> bool {
    tag.len() <= 35
        && language_tags::LanguageTag::parse(tag).is_ok_and(|t| {
            let language = t.primary_language();
            (2..=3).contains(&language.len())
                && language.bytes().all(|b| b.is_ascii_alphabetic())
                && !("qaa"..="qtz").contains(&language)
                && t.is_valid()
        })
}

/// Longest phone number accepted, in characters (E.164 has at most 15
/// digits; this leaves room for spaces, brackets and dashes).
const PHONE_MAX_CHARS: usize = 40;

/// Check a phone number (see [`Checks::phone`]); with `short_codes`, a short
/// code of 3 to 6 digits, alone or grouped by single spaces or dashes, is
/// accepted too when there is a country to dial it in. libphonenumber has no
/// data on short codes, so which ones exist is not checked.
fn check_phone(value: &str, country: Option<&str>, short_codes: bool) -> Result<(), String> {
    let written = value.chars().count() <= PHONE_MAX_CHARS
        && value
            .trim_start()
            .strip_prefix('+')
            .unwrap_or(value)
            .chars()
            .all(|c| c.is_ascii_digit() || " -().".contains(c));
    if !written {
        return Err(format!(
            "must be a phone number of at most {PHONE_MAX_CHARS} characters: digits, spaces, \
             dashes, brackets and dots, with `+` only in front"
        ));
    }
    let region = country
        .filter(|c| is_country(c))
        .and_then(|c| c.parse::<phonenumber::country::Id>().ok());
    if phonenumber::parse(region, value).is_ok_and(|n| n.is_valid()) {
        return Ok(());
    }
    if short_codes && region.is_some() && is_short_code(value) {
        return Ok(());
    }
    let example = "such as `+44 20 7946 0000`";
    Err(match (region, short_codes) {
        (Some(r), false) => format!(
            "must be a valid phone number: national for `{}`, or international with `+` and the \
             country code, {example}",
            r.as_ref()
        ),
        (Some(r), true) => format!(
            "must be a valid phone number: national for `{}`, a short code of 3 to 6 digits, or \
             international with `+` and the country code, {example}",
            r.as_ref()
        ),
        (None, _) => format!(
            "must be a valid phone number in international format, with `+` and the country \
             code, {example}{}",
            if value.trim_start().starts_with('+') {
                ""
            } else {
                " (there is no country to read a national number in)"
            }
        ),
    })
}

/// 3 to 6 digits, alone or in groups separated by a single space or dash
/// (`988`, `116 123`, `13 11 14`).
fn is_short_code(value: &str) -> bool {
    let digits = value.bytes().filter(u8::is_ascii_digit).count();
    (3..=6).contains(&digits)
        && value
            .split([' ', '-'])
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
}

/// Normalize a language tag's case: language lower, region upper, script title.
pub fn normalize_language(tag: &str) -> String {
    tag.split('-')
        .enumerate()
        .map(|(i, p)| match (i, p.len()) {
            (0, _) => p.to_ascii_lowercase(),
            (_, 2) => p.to_ascii_uppercase(),
            (_, 4) => {
                let mut s = p.to_ascii_lowercase();
                s[..1].make_ascii_uppercase();
                s
            }
            _ => p.to_ascii_lowercase(),
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Normalize, sort and de-duplicate language tags, the order they are
/// stored and read back in (so an unchanged write compares equal).
pub fn normalize_languages(tags: &mut Vec<String>) {
    for t in tags.iter_mut() {
        *t = normalize_language(t);
    }
    tags.sort();
    tags.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks() {
        let mut c = Checks::new();
        c.language("languages[0]", "en");
        c.language("languages[1]", "pt-BR");
        c.url("website", Some("https://example.org/x"));
        c.email("email", Some("hello@example.org"));
        c.country("country", Some("GB"));
        assert!(c.finish().is_ok());
        let mut c = Checks::new();
        c.language("l", "english language");
        c.url("u", Some("javascript:alert(1)"));
        c.email("e", Some("nope"));
        c.country("c", Some("gb"));
        assert!(c.timezone("t", "+01:00").is_none());
        match c.finish() {
            Err(ApiError::Validation(v)) => assert_eq!(v.len(), 5),
            _ => panic!(),
        }
        assert_eq!(normalize_language("PT-br"), "pt-BR");
        assert_eq!(normalize_language("zh-hant-tw"), "zh-Hant-TW");
    }

    #[test]
    fn countries_are_assigned_iso_3166_codes() {
        for ok in ["GB", "IE", "US", "DE", "BR", "NZ", "SS", "XK"] {
            assert!(is_country(ok), "{ok}");
        }
        for bad in [
            "ZZ", "XX", "AA", "QM", "UK", "EU", "gb", "Gb", "GBR", "G", "", "1A",
        ] {
            assert!(!is_country(bad), "{bad}");
        }
    }

    #[test]
    fn languages_are_valid_bcp_47_tags_of_real_languages() {
        for ok in [
            "en",
            "EN",
            "en-GB",
            "pt-BR",
            "pt-br",
            "zh-Hant",
            "zh-hant-tw",
            "es-419",
            "yue",
            "sr-Latn-RS",
            "de-CH-1996",
            "ga",
            "cy",
            "mi",
        ] {
            assert!(is_language(ok), "{ok}");
        }
        for bad in [
            "qq",
            "xx",
            "english",
            "english language",
            "eng",
            "qaa",
            "x-klingon",
            "i-klingon",
            "en-QQQ",
            "en-Zzzz-",
            "en--GB",
            "",
            "e",
            "en_GB",
            "zh-Hant-XY1",
        ] {
            assert!(!is_language(bad), "{bad}");
        }
        assert!(!is_language(&format!("en-{}", ["abcdefgh"; 4].join("-"))));
    }

    fn phone_ok(value: &str, country: Option<&str>, short_codes: bool) -> bool {
        check_phone(value, country, short_codes).is_ok()
    }

    #[test]
    fn phones_are_valid_numbers_international_or_national_for_the_country() {
        for ok in [
            "+44 20 7946 0000",
            "+1 (202) 555-0123",
            "+49 30 901820",
            "+353 1 234 5678",
        ] {
            assert!(phone_ok(ok, None, false), "{ok}");
            assert!(phone_ok(ok, Some("GB"), false), "{ok} with GB");
        }
        assert!(phone_ok("020 7946 0000", Some("GB"), false));
        assert!(phone_ok("(020) 7946-0000", Some("GB"), false));
        assert!(phone_ok("0808 808 1677", Some("GB"), true));
        assert!(phone_ok("1800 247 247", Some("IE"), true));
        // An international call prefix is read in the country's own way.
        assert!(phone_ok("0044 20 7946 0000", Some("GB"), false));
        assert!(!phone_ok("0044 20 7946 0000", None, false));
        for bad in [
            "(((1))) 2-3",
            "call us",
            "",
            "+",
            "123",
            "+44 20 7946 000",
            "+999 1234 5678",
            "+44 20 7946 0000 ext. 12",
            "+44 20 7946 0000+1",
            "tel:+44-20-7946-0000",
        ] {
            assert!(!phone_ok(bad, Some("GB"), false), "{bad}");
            assert!(!phone_ok(bad, None, false), "{bad} without a country");
        }
        // A national number needs a country to be read in; an unknown country is none.
        assert!(!phone_ok("020 7946 0000", None, false));
        assert!(!phone_ok("020 7946 0000", Some("ZZ"), false));
        assert!(!phone_ok("020 7946 0000", Some("US"), false));
        assert!(!phone_ok(&format!("+44 {}", "2".repeat(40)), None, false));
        // Some short-looking numbers are ordinary ones (Australia's 13 numbers).
        assert!(phone_ok("13 11 14", Some("AU"), false));
    }

    #[test]
    fn helplines_may_be_short_codes_dialled_in_their_country() {
        for (ok, country) in [
            ("116 123", "GB"),
            ("988", "US"),
            ("9-8-8", "CA"),
            ("3114", "FR"),
            ("1737", "NZ"),
            ("024", "ES"),
        ] {
            assert!(phone_ok(ok, Some(country), true), "{ok} in {country}");
            assert!(!phone_ok(ok, None, true), "{ok} needs a country");
            assert!(
                !phone_ok(ok, Some(country), false),
                "{ok} is no phone number"
            );
        }
        for bad in [
            "(((1))) 2-3",
            "12",
            "1234567",
            "1  23",
            "(116) 123",
            "116.123",
            "+116 123",
        ] {
            assert!(!phone_ok(bad, Some("GB"), true), "{bad}");
        }
    }
}
