//! Bulletin gathers government departments' events and blog posts into one store and
//! serves them back as merged feeds.
//!
//! The pipeline, one module a stage: [`config`] (sources) → [`fetch`] → [`extract`] →
//! [`normalise`] → [`store`] → [`render`] → [`web`]; [`refresh`] runs the stages for one
//! source and [`schedule`] decides when. See ARCHITECTURE.md.

pub mod archive;
pub mod budget;
pub mod cli;
pub mod clock;
pub mod config;
pub mod digest;
pub mod extract;
pub mod fetch;
pub mod harvest;
pub mod i18n;
pub mod markup;
pub mod metrics;
pub mod model;
pub mod normalise;
pub mod preview;
pub mod refresh;
pub mod registered;
pub mod render;
pub mod schedule;
pub mod shutdown;
pub mod store;
pub mod submission;
pub mod tick;
pub mod web;
