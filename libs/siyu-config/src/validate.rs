//! Validation with field paths, collecting every violation rather than stopping at the first.

use std::fmt;

/// Settings that can check themselves after loading.
///
/// Implementations report into `v` with paths relative to themselves; a parent section
/// calls [`Violations::nested`] so paths come out as `database.url`.
pub trait Validate {
    /// Records every violation of this value's rules in `v`.
    fn validate(&self, v: &mut Violations);
}

/// One rule a setting breaks, e.g. `database.url: must start with postgres:// or sqlite://`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Dotted path of the offending field (`database.max_connections`).
    pub field: String,
    /// What is wrong, phrased so it reads after `field: `.
    pub message: String,
}

/// Collects violations while a settings tree is walked.
#[derive(Debug, Default)]
pub struct Violations {
    path: Vec<String>,
    list: Vec<Violation>,
}

/// Every violation found in one settings value; the payload of [`crate::ConfigError::Invalid`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<Violation>);

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, violation) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{violation}")?;
        }
        Ok(())
    }
}

impl ValidationErrors {
    /// The violation reported for `field`, if any; handy in tests.
    pub fn get(&self, field: &str) -> Option<&Violation> {
        self.0.iter().find(|v| v.field == field)
    }
}

impl Violations {
    /// An empty collector rooted at the top of the settings tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` (relative to the current section) breaks a rule.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let mut full = self.path.join(".");
        if !field.is_empty() {
            if !full.is_empty() {
                full.push('.');
            }
            full.push_str(field);
        }
        self.list.push(Violation {
            field: full,
            message: message.into(),
        });
    }

    /// Records `message` for `field` unless `ok` holds.
    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) {
        if !ok {
            self.add(field, message);
        }
    }

    /// Validates a sub-section so its violations are reported under `field.`.
    pub fn nested(&mut self, field: &str, value: &impl Validate) {
        self.path.push(field.to_owned());
        value.validate(self);
        self.path.pop();
    }

    /// True when nothing has been reported.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// `Ok` when nothing was reported, otherwise every violation.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.list.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.list))
        }
    }
}

/// Reports `field` unless `url` starts with one of `schemes` (given without `://`).
pub fn require_scheme(v: &mut Violations, field: &str, url: &str, schemes: &[&str]) {
    let ok = schemes.iter().any(|s| {
        url.strip_prefix(s)
            .is_some_and(|rest| rest.starts_with("://"))
    });
    if !ok {
        let names: Vec<String> = schemes.iter().map(|s| format!("{s}://")).collect();
        let list = match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, init)) => format!("{} or {last}", init.join(", ")),
            None => String::new(),
        };
        v.add(field, format!("must start with {list}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Inner {
        n: u32,
    }

    impl Validate for Inner {
        fn validate(&self, v: &mut Violations) {
            v.check(self.n > 0, "n", "must be at least 1");
        }
    }

    #[test]
    fn nested_paths_are_dotted_and_all_violations_kept() {
        let mut v = Violations::new();
        v.nested("a", &Inner { n: 0 });
        v.nested("b", &Inner { n: 1 });
        v.nested("c", &Inner { n: 0 });
        let errors = v.into_result().unwrap_err();
        assert_eq!(errors.0.len(), 2);
        assert_eq!(
            errors.to_string(),
            "a.n: must be at least 1; c.n: must be at least 1"
        );
    }

    #[test]
    fn scheme_message_lists_every_choice() {
        let mut v = Violations::new();
        require_scheme(
            &mut v,
            "url",
            "mysql://x",
            &["postgres", "postgresql", "sqlite"],
        );
        require_scheme(&mut v, "ok", "sqlite://:memory:", &["postgres", "sqlite"]);
        require_scheme(&mut v, "bare", "postgres", &["postgres"]);
        let errors = v.into_result().unwrap_err();
        assert_eq!(
            errors.get("url").unwrap().message,
            "must start with postgres://, postgresql:// or sqlite://"
        );
        assert!(errors.get("ok").is_none());
        assert_eq!(
            errors.get("bare").unwrap().message,
            "must start with postgres://"
        );
    }
}
