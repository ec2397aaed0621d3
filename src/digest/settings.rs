//! The `[digest]` settings, validated by `config`: when the weekly digest goes out, how
//! mail reaches the SMTP server, who it is from, which addresses may subscribe, how long
//! links live, and how a failing server is retried.

use std::time::Duration;

use chrono::{NaiveTime, Weekday};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587); refused if the server cannot.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: allowed only to a relay on this machine (127.0.0.1, ::1, localhost).
    None,
}

/// Where mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    /// The environment variable holding the password (never the password itself).
    pub password_env: Option<String>,
    /// How long one connection or command may take.
    pub timeout: Duration,
}

/// Everything the digest needs from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSettings {
    /// The day and time (in the display zone) the digest goes out: Monday 07:00 by default.
    pub weekday: Weekday,
    pub time: NaiveTime,
    pub smtp: SmtpSettings,
    /// `Bulletin <bulletin@example.gc.ca>`.
    pub from: String,
    pub reply_to: Option<String>,
    /// Addresses in these domains (or their subdomains) may subscribe; empty: any.
    pub allowed_email_domains: Vec<String>,
    /// How long a confirmation link works.
    pub confirm_hours: i64,
    /// How long an unsubscribe or manage link works.
    pub link_days: i64,
    /// The most confirmation emails one address gets in a day.
    pub max_confirmations_per_day: u32,
    /// The most events one email lists (it says how many more the web view has).
    pub max_events: u32,
    /// Tries of one message when the server answers 4xx or cannot be reached, and the
    /// first wait between them (doubling).
    pub attempts: u32,
    pub retry_delay: Duration,
}

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings {
            weekday: Weekday::Mon,
            time: NaiveTime::from_hms_opt(7, 0, 0).expect("a valid time"),
            smtp: SmtpSettings {
                host: "localhost".into(),
                port: 587,
                security: Security::StartTls,
                username: None,
                password_env: None,
                timeout: Duration::from_secs(30),
            },
            from: "Bulletin <bulletin@localhost>".into(),
            reply_to: None,
            allowed_email_domains: Vec::new(),
            confirm_hours: 48,
            link_days: 90,
            max_confirmations_per_day: 3,
            max_events: 200,
            attempts: 3,
            retry_delay: Duration::from_secs(2),
        }
    }
}

impl DigestSettings {
    /// Whether `email` is in an allowed domain (case aside; subdomains count).
    pub fn allows(&self, email: &str) -> bool {
        let Some((_, domain)) = email.rsplit_once('@') else {
            return false;
        };
        let domain = domain.to_ascii_lowercase();
        self.allowed_email_domains.is_empty()
            || self.allowed_email_domains.iter().any(|allowed| {
                let allowed = allowed.trim_start_matches('.').to_ascii_lowercase();
                domain == allowed || domain.ends_with(&format!(".{allowed}"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_domains_include_subdomains_only() {
        let settings = DigestSettings {
            allowed_email_domains: vec!["canada.ca".into(), "gc.ca".into()],
            ..DigestSettings::default()
        };
        assert!(settings.allows("ana@canada.ca"));
        assert!(settings.allows("ana@HC-SC.GC.CA"));
        assert!(!settings.allows("ana@notgc.ca"));
        assert!(!settings.allows("ana@gc.ca.example.com"));
        assert!(!settings.allows("no-at-sign"));
        assert!(DigestSettings::default().allows("x@example.com"));
    }
}
