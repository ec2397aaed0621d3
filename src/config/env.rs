//! Settings from the environment, for containers and service managers:
//! `BULLETIN_<KEY>` overrides `<key>` of the file's `[settings]` (`BULLETIN_LISTEN`,
//! `BULLETIN_DATABASE`, `BULLETIN_BASE_URL`, …). Each value is checked on its own as the
//! file's would be, and a bad one is reported under its variable's name. Relative paths
//! given this way are taken from the working directory, not the file's folder.

use std::path::Path;

use super::{Checker, ConfigError, RawConfig, RawSettings};

/// The TOML type a setting takes.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Path,
    Integer,
    Boolean,
}

/// The `[settings]` keys the environment can set. Lists (`embed_origins`,
/// `metrics_allow`) and the `[digest]` table stay in the file.
const KEYS: &[(&str, Kind)] = &[
    ("listen", Kind::Text),
    ("database", Kind::Path),
    ("timezone", Kind::Text),
    ("schedule", Kind::Text),
    ("allow_private_networks", Kind::Boolean),
    ("base_url", Kind::Text),
    ("admin_token_env", Kind::Text),
    ("ca_bundle", Kind::Path),
    ("fetch_timeout_seconds", Kind::Integer),
    ("connect_timeout_seconds", Kind::Integer),
    ("max_body_bytes", Kind::Integer),
    ("max_concurrent_fetches", Kind::Integer),
    ("max_fetches_per_host", Kind::Integer),
    ("fetch_retries", Kind::Integer),
    ("event_window_past_days", Kind::Integer),
    ("event_window_future_days", Kind::Integer),
    ("render_cache_mib", Kind::Integer),
    ("calendar_max_events", Kind::Integer),
    ("style", Kind::Text),
    ("fetch_records_days", Kind::Integer),
    ("metrics_token", Kind::Text),
];

/// The variable that sets `key`.
pub fn variable(key: &str) -> String {
    format!("BULLETIN_{}", key.to_ascii_uppercase())
}

/// Replaces the file's settings with those the environment (read through `lookup`) sets.
pub(super) fn overlay(
    settings: &mut RawSettings,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    for &(key, kind) in KEYS {
        let variable = variable(key);
        let Some(value) = lookup(&variable) else {
            continue;
        };
        let bad = |message: String| ConfigError::Environment {
            variable: variable.clone(),
            message,
        };
        let value = match kind {
            Kind::Text => toml::Value::String(value),
            Kind::Path => {
                let path = std::path::absolute(Path::new(&value))
                    .map_err(|e| bad(format!("`{value}`: {e}")))?;
                toml::Value::String(path.display().to_string())
            }
            Kind::Integer => value
                .trim()
                .parse::<i64>()
                .map(toml::Value::Integer)
                .map_err(|_| bad(format!("`{value}` is not a whole number")))?,
            Kind::Boolean => match value.trim() {
                "true" => toml::Value::Boolean(true),
                "false" => toml::Value::Boolean(false),
                _ => return Err(bad(format!("`{value}` is not true or false"))),
            },
        };
        let text = format!("[settings]\n{key} = {value}\n");
        let parse = || toml::from_str::<RawConfig>(&text).map_err(|e| bad(e.message().to_string()));
        // Checked alone, so an error names the variable rather than a line of the file.
        let checker = Checker {
            text: &text,
            name: &variable,
        };
        checker
            .settings(parse()?.settings, Path::new(""))
            .map_err(|error| match error {
                ConfigError::Invalid { message, .. } => bad(message),
                other => other,
            })?;
        take(settings, parse()?.settings);
    }
    Ok(())
}

/// Moves every setting `from` has into `into`.
fn take(into: &mut RawSettings, from: RawSettings) {
    macro_rules! take {
        ($($field:ident),* $(,)?) => {
            let RawSettings { $($field),* } = from;
            $(if $field.is_some() {
                into.$field = $field;
            })*
        };
    }
    take!(
        listen,
        database,
        timezone,
        schedule,
        allow_private_networks,
        base_url,
        admin_token_env,
        ca_bundle,
        fetch_timeout_seconds,
        connect_timeout_seconds,
        max_body_bytes,
        max_concurrent_fetches,
        max_fetches_per_host,
        fetch_retries,
        event_window_past_days,
        event_window_future_days,
        render_cache_mib,
        calendar_max_events,
        style,
        embed_origins,
        fetch_records_days,
        metrics_allow,
        metrics_token,
    );
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::super::{Config, ConfigError};

    const FILE: &str = "[settings]\nlisten = \"127.0.0.1:8080\"\ndatabase = \"bulletin.db\"\n\
                        fetch_retries = 2\n";

    fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |name: &str| vars.get(name).cloned();
        Config::parse_with_env(FILE, "sources.toml", Path::new("/etc/bulletin"), &lookup)
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let config = parse(&[
            ("BULLETIN_LISTEN", "0.0.0.0:80"),
            ("BULLETIN_DATABASE", "/var/lib/bulletin/bulletin.db"),
            ("BULLETIN_BASE_URL", "https://events.example.gc.ca"),
            ("BULLETIN_FETCH_RETRIES", "5"),
            ("BULLETIN_ALLOW_PRIVATE_NETWORKS", "true"),
            ("BULLETIN_TIMEZONE", "Europe/London"),
        ])
        .unwrap();
        let s = &config.settings;
        assert_eq!(s.listen.to_string(), "0.0.0.0:80");
        assert_eq!(s.database, Path::new("/var/lib/bulletin/bulletin.db"));
        assert_eq!(
            s.base_url.as_ref().map(|u| u.as_str()),
            Some("https://events.example.gc.ca/")
        );
        assert_eq!(s.fetch.retries, 5);
        assert!(s.allow_private_networks && s.fetch.allow_private_networks);
        assert_eq!(s.timezone, chrono_tz::Europe::London);
    }

    #[test]
    fn without_variables_the_file_stands() {
        let config = parse(&[("OTHER", "x")]).unwrap();
        assert_eq!(config.settings.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(
            config.settings.database,
            Path::new("/etc/bulletin/bulletin.db")
        );
        assert_eq!(config.settings.fetch.retries, 2);
    }

    #[test]
    fn relative_paths_from_the_environment_start_in_the_working_directory() {
        let config = parse(&[("BULLETIN_DATABASE", "data/b.db")]).unwrap();
        let expected = std::env::current_dir().unwrap().join("data/b.db");
        assert_eq!(config.settings.database, expected);
    }

    #[test]
    fn a_bad_value_is_named_by_its_variable() {
        for (variable, value, says) in [
            ("BULLETIN_LISTEN", "port 80", "not an address"),
            ("BULLETIN_FETCH_RETRIES", "many", "not a whole number"),
            (
                "BULLETIN_ALLOW_PRIVATE_NETWORKS",
                "yes",
                "not true or false",
            ),
            ("BULLETIN_TIMEZONE", "Eastern", "IANA"),
            ("BULLETIN_MAX_BODY_BYTES", "0", "greater than zero"),
            ("BULLETIN_BASE_URL", "events.example", ""),
        ] {
            let error = parse(&[(variable, value)]).unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("{variable} (environment): ")) && error.contains(says),
                "{variable}={value}: {error}"
            );
            assert!(!error.contains("sources.toml"), "{error}");
        }
    }

    #[test]
    fn every_key_has_a_variable_the_file_would_accept() {
        // Each key, set through the environment to a value of its type, is accepted or
        // refused for its value, never as an unknown key.
        for &(key, kind) in super::KEYS {
            let value = match kind {
                super::Kind::Integer => "7",
                super::Kind::Boolean => "false",
                _ => "x",
            };
            if let Err(error) = parse(&[(&super::variable(key), value)]) {
                let error = error.to_string();
                assert!(!error.contains("unknown field"), "{key}: {error}");
            }
        }
    }
}
