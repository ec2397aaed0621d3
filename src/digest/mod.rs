//! The weekly digest by email: subscriptions' filters (`filter.rs`), which week a digest
//! is for (`week.rs`), what it holds (`compose.rs`), the mail (`mail.rs`, lettre), and the
//! run that sends one week to every subscriber, once each, recording every delivery
//! before the next (`run.rs`), on the schedule in `[digest]` or from the command line.
//! Words and markup are `render::digest`'s; the store keeps subscriptions, tokens and
//! deliveries (`store::subscriptions`, `store::digests`).

mod compose;
mod filter;
mod mail;
mod run;
mod settings;
mod week;

pub use compose::{MAX_POSTS, classify, content_blocking};
pub use filter::Filter;
pub use mail::{MailSetupError, Mailer, Outgoing, SendError};
pub use run::{Digests, RunError, RunReport, described, links};
pub use settings::{DigestSettings, Security, SmtpSettings};
pub use week::Week;
