//! The loader end to end: layering, env nesting, validation and masking.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use siyu_config::{
    CacheSettings, ConfigError, DatabaseSettings, LoadOptions, ServerSettings, Validate,
    Violations, effective_config_for_log, load,
};

/// What a service's settings look like: its own keys plus the shared sections.
#[derive(Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
struct Settings {
    greeting: String,
    max_items: u32,
    server: ServerSettings,
    database: DatabaseSettings,
    cache: CacheSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            greeting: "compiled".into(),
            max_items: 1,
            server: ServerSettings::default(),
            database: DatabaseSettings::new("postgres://siyu@127.0.0.1/identity"),
            cache: CacheSettings::default(),
        }
    }
}

impl Validate for Settings {
    fn validate(&self, v: &mut Violations) {
        v.check(self.max_items <= 100, "max_items", "must be at most 100");
        v.nested("server", &self.server);
        v.nested("database", &self.database);
        v.nested("cache", &self.cache);
    }
}

/// A fresh config directory with the given files.
fn config_dir(test: &str, files: &[(&str, &str)]) -> std::io::Result<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("siyu-config")
        .join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    for (name, text) in files {
        fs::write(dir.join(name), text)?;
    }
    Ok(dir)
}

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn opts(dir: PathBuf, env: Option<&str>, vars: HashMap<String, String>) -> LoadOptions<'static> {
    LoadOptions {
        service: "identity",
        config_dir: dir,
        env: env.map(str::to_owned),
        env_source: Some(vars),
    }
}

const DEFAULT_TOML: &str = r#"
greeting = "default-file"
max_items = 2
[database]
max_connections = 20
"#;

const TEST_TOML: &str = r#"
max_items = 3
[database]
url = "postgres://siyu:filepw@db/identity"
"#;

#[test]
fn compiled_defaults_apply_without_any_source() {
    let dir = config_dir("defaults", &[]).unwrap();
    let s: Settings = load(opts(dir, None, vars(&[]))).unwrap();
    assert_eq!(s.greeting, "compiled");
    assert_eq!(
        s.database.url.expose_secret(),
        "postgres://siyu@127.0.0.1/identity"
    );
    assert_eq!(s.database.max_connections, 10);
}

#[test]
fn each_layer_overrides_the_previous() {
    let dir = config_dir(
        "layers",
        &[("default.toml", DEFAULT_TOML), ("test.toml", TEST_TOML)],
    )
    .unwrap();

    let file_only: Settings = load(opts(dir.clone(), None, vars(&[]))).unwrap();
    assert_eq!(
        (file_only.greeting.as_str(), file_only.max_items),
        ("default-file", 2)
    );
    assert_eq!(file_only.database.max_connections, 20);
    assert_eq!(
        file_only.server.shutdown_grace_secs, 10,
        "untouched keys keep defaults"
    );

    // SIYU_ENV comes from the injected environment when `env` is not given.
    let with_env: Settings = load(opts(dir.clone(), None, vars(&[("SIYU_ENV", "test")]))).unwrap();
    assert_eq!(
        (with_env.greeting.as_str(), with_env.max_items),
        ("default-file", 3)
    );
    assert_eq!(
        with_env.database.url.expose_secret(),
        "postgres://siyu:filepw@db/identity"
    );
    assert_eq!(
        with_env.database.max_connections, 20,
        "default.toml still shows through"
    );

    let with_vars: Settings = load(opts(
        dir,
        Some("test"),
        vars(&[
            ("SIYU_IDENTITY__MAX_ITEMS", "4"),
            (
                "SIYU_IDENTITY__DATABASE__URL",
                "postgres://siyu:envpw@db2/identity",
            ),
            ("SIYU_IDENTITY__SERVER__GRPC_ADDR", "127.0.0.1:7001"),
            ("SIYU_IDENTITY__CACHE__KEY_PREFIX", "t1:"),
            ("SIYU_IDENTITY__GREETING", ""),
            ("SIYU_ORDERS__MAX_ITEMS", "99"),
            ("SIYU_IDENTITY_MAX_ITEMS", "98"),
        ]),
    ))
    .unwrap();
    assert_eq!(with_vars.max_items, 4);
    assert_eq!(
        with_vars.greeting, "default-file",
        "empty variables count as unset"
    );
    assert_eq!(
        with_vars.database.url.expose_secret(),
        "postgres://siyu:envpw@db2/identity"
    );
    assert_eq!(with_vars.server.grpc_addr.to_string(), "127.0.0.1:7001");
    assert_eq!(with_vars.cache.key_prefix, "t1:");
}

#[test]
fn named_environment_without_its_file_fails() {
    let dir = config_dir("missing-env", &[("default.toml", DEFAULT_TOML)]).unwrap();
    let err = load::<Settings>(opts(dir.clone(), Some("prod"), vars(&[]))).unwrap_err();
    assert!(matches!(err, ConfigError::MissingEnvFile { .. }), "{err}");
    let err = load::<Settings>(opts(dir, Some("../etc"), vars(&[]))).unwrap_err();
    assert!(matches!(err, ConfigError::InvalidEnvName(_)), "{err}");
}

#[test]
fn wrong_types_name_the_field() {
    let dir = config_dir("bad-type", &[]).unwrap();
    let err = load::<Settings>(opts(
        dir.clone(),
        None,
        vars(&[("SIYU_IDENTITY__DATABASE__MAX_CONNECTIONS", "lots")]),
    ))
    .unwrap_err();
    let ConfigError::Invalid(errors) = err else {
        panic!("{err}")
    };
    let v = errors.get("database.max_connections").expect("field path");
    assert!(v.message.contains("string"), "{v}");

    let err = load::<Settings>(opts(
        dir,
        None,
        vars(&[("SIYU_IDENTITY__SERVER__ADMIN_ADDR", "not-an-addr")]),
    ))
    .unwrap_err();
    let ConfigError::Invalid(errors) = err else {
        panic!("{err}")
    };
    assert!(errors.get("server.admin_addr").is_some(), "{errors}");
}

#[test]
fn misspelt_keys_are_rejected() {
    let dir = config_dir("unknown-key", &[]).unwrap();
    let err = load::<Settings>(opts(
        dir,
        None,
        vars(&[("SIYU_IDENTITY__DATABASE__URLL", "postgres://x")]),
    ))
    .unwrap_err();
    assert!(err.to_string().contains("urll"), "{err}");
}

#[test]
fn all_violations_are_reported_with_paths() {
    let dir = config_dir("violations", &[]).unwrap();
    let err = load::<Settings>(opts(
        dir,
        None,
        vars(&[
            ("SIYU_IDENTITY__MAX_ITEMS", "1000"),
            ("SIYU_IDENTITY__DATABASE__URL", "mysql://root:rootpw@db/x"),
            ("SIYU_IDENTITY__DATABASE__MAX_CONNECTIONS", "0"),
            ("SIYU_IDENTITY__DATABASE__MIN_CONNECTIONS", "2"),
            ("SIYU_IDENTITY__CACHE__URL", "memcached://cache"),
        ]),
    ))
    .unwrap_err();
    let ConfigError::Invalid(errors) = &err else {
        panic!("{err}")
    };
    assert_eq!(errors.0.len(), 5, "{errors}");
    assert_eq!(
        errors.get("database.url").unwrap().to_string(),
        "database.url: must start with postgres://, postgresql:// or sqlite://"
    );
    for field in [
        "max_items",
        "database.max_connections",
        "database.min_connections",
        "cache.url",
    ] {
        assert!(errors.get(field).is_some(), "missing {field} in {errors}");
    }
    assert!(!err.to_string().contains("rootpw"));
}

#[test]
fn secrets_never_reach_debug_or_the_log_form() {
    let dir = config_dir("secrets", &[]).unwrap();
    let s: Settings = load(opts(
        dir,
        None,
        vars(&[
            (
                "SIYU_IDENTITY__DATABASE__URL",
                "postgres://siyu:Pa55word@db/identity",
            ),
            ("SIYU_IDENTITY__CACHE__URL", "redis://:CachePw@cache:6379"),
        ]),
    ))
    .unwrap();

    let debug = format!("{s:?}");
    assert!(
        !debug.contains("Pa55word") && !debug.contains("CachePw"),
        "{debug}"
    );

    let logged = effective_config_for_log(&s);
    let text = logged.to_string();
    assert!(
        !text.contains("Pa55word") && !text.contains("CachePw"),
        "{text}"
    );
    assert_eq!(
        logged["database"]["url"],
        "postgres://siyu:****@db/identity"
    );
    assert_eq!(logged["cache"]["url"], "redis://:****@cache:6379");
    assert_eq!(logged["database"]["max_connections"], 10);
}

#[test]
fn parse_errors_do_not_echo_the_offending_line() {
    let dir = config_dir(
        "parse",
        &[(
            "default.toml",
            "[database]\nurl = \"postgres://u:Leak3d@db/x\" oops\n",
        )],
    )
    .unwrap();
    let err = load::<Settings>(opts(dir, None, vars(&[]))).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ConfigError::Source(_)), "{text}");
    assert!(text.contains("default.toml"), "{text}");
    assert!(!text.contains("Leak3d"), "{text}");
}
