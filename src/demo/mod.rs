//! The built-in legacy "MLS" site used by `mfa-gateway demo` and the integration tests.
//!
//! It stands in for the unchanged legacy website the gateway protects, so it deliberately knows
//! nothing about MFA: a password login form, a session cookie (`MLSSESSION`), a few listing
//! pages and a small JSON API for the "mobile app". Every request it receives is recorded, so
//! tests can assert on exactly what got past the gateway (see [`DemoSite::seen`]).

mod api;
mod html;
mod listings;
mod pages;
pub mod run;
mod site;
mod state;

pub use site::{demo_roster_yaml, demo_users, DemoSite, DemoUser, SeenRequest};
