//! Scenario-specific options (`--target URL`, `--database-url URL`, …) declared by each
//! scenario and parsed generically, so adding a scenario never touches the CLI.

use std::collections::BTreeMap;
use std::str::FromStr;

use anyhow::{Context as _, bail};

/// One option a scenario accepts.
#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    /// Name without dashes: `target` is given as `--target`.
    pub name: &'static str,
    /// One line for `loadgen list`.
    pub help: &'static str,
    /// Value used when the option is absent, shown in `loadgen list`.
    pub default: Option<&'static str>,
}

/// Parsed `--name value` / `--name=value` pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScenarioOptions {
    values: BTreeMap<String, String>,
}

impl ScenarioOptions {
    /// Parses `--name value` and `--name=value` pairs.
    pub fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut values = BTreeMap::new();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            let Some(flag) = arg.strip_prefix("--") else {
                bail!("unexpected argument {arg:?}: scenario options look like --name value");
            };
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n.to_owned(), v.to_owned()),
                None => {
                    let value = iter
                        .next()
                        .with_context(|| format!("--{flag} needs a value"))?;
                    (flag.to_owned(), value.clone())
                }
            };
            if values.insert(name.clone(), value).is_some() {
                bail!("--{name} given twice");
            }
        }
        Ok(Self { values })
    }

    /// Fails on any option none of `specs` declares, naming the ones that exist.
    pub fn ensure_known<'a>(
        &self,
        specs: impl IntoIterator<Item = &'a OptionSpec> + Clone,
    ) -> anyhow::Result<()> {
        for name in self.values.keys() {
            if !specs.clone().into_iter().any(|s| s.name == name) {
                let known: Vec<String> =
                    specs.into_iter().map(|s| format!("--{}", s.name)).collect();
                bail!(
                    "unknown option --{name}; these scenarios accept: {}",
                    known.join(", ")
                );
            }
        }
        Ok(())
    }

    /// The value given for `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value for `name` parsed as `T`, or `default` when absent.
    pub fn parse_or<T>(&self, name: &str, default: T) -> anyhow::Result<T>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|e| anyhow::anyhow!("--{name} {raw:?}: {e}")),
        }
    }

    /// Every option given, for the report.
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn both_spellings_parse_and_unknown_names_fail() {
        let o = ScenarioOptions::parse(&args(&["--target", "http://x:1", "--payload-bytes=8"]))
            .unwrap();
        assert_eq!(o.get("target"), Some("http://x:1"));
        assert_eq!(o.parse_or("payload-bytes", 64usize).unwrap(), 8);
        assert_eq!(o.parse_or("absent", 3u32).unwrap(), 3);
        assert!(o.parse_or::<u32>("target", 0).is_err());

        let specs = [OptionSpec {
            name: "target",
            help: "",
            default: None,
        }];
        let err = o.ensure_known(&specs).unwrap_err().to_string();
        assert!(
            err.contains("--payload-bytes") && err.contains("--target"),
            "{err}"
        );
    }

    #[test]
    fn malformed_input_is_rejected() {
        assert!(ScenarioOptions::parse(&args(&["target"])).is_err());
        assert!(ScenarioOptions::parse(&args(&["--target"])).is_err());
        assert!(ScenarioOptions::parse(&args(&["--a=1", "--a=2"])).is_err());
    }
}
