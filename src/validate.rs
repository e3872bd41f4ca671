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

    pub fn phone(&mut self, field: &str, value: Option<&str>) {
        let Some(v) = value else { return };
        let digits = v.chars().filter(char::is_ascii_digit).count();
        let allowed = v
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        if !allowed || !(3..=20).contains(&digits) {
            self.fail(field, "must be a phone number (digits, spaces, + - ( ) .)");
        }
    }

    /// A BCP 47 language tag such as `en`, `pt-BR` or `zh-Hant`.
    pub fn language(&mut self, field: &str, value: &str) {
        let valid = value.len() <= 35
            && value.split('-').all(|p| {
                !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric())
            })
            && value.split('-').next().is_some_and(|p| {
                (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic())
            });
        if !valid {
            self.fail(
                field,
                "must be a BCP 47 language tag such as `en` or `pt-BR`",
            );
        }
    }

    /// An ISO 3166-1 alpha-2 country code, upper case.
    pub fn country(&mut self, field: &str, value: Option<&str>) {
        if let Some(v) = value {
            if !(v.len() == 2 && v.chars().all(|c| c.is_ascii_uppercase())) {
                self.fail(
                    field,
                    "must be an ISO 3166-1 alpha-2 country code such as `GB`",
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
}
