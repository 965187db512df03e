//! `mfa.enrollment` (issue: "set-up proves the contact on file", "roster as the member list"),
//! end to end on SQLite + memory with a real SMTP receiver and a Twilio-shaped SMS provider.
//! The cases live in `suites/enrollment_policy_cases.rs`.

mod common;
#[path = "support/mod.rs"]
mod support;

#[path = "suites/enrollment_policy_cases.rs"]
mod cases;
