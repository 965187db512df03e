//! Helpers for the delivery integration tests: real network peers the senders talk to.
//!
//! * [`smtp_receiver`]: a real SMTP server (Python's aiosmtpd) storing mail in a Maildir.
//! * [`mail`]: just enough MIME parsing to read what that server stored.
//! * [`sms_provider`]: an axum server answering like Twilio's Messages API or a JSON webhook.
//! * [`tls`]: a private CA, a server certificate it signed, and a TLS front for plain servers.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

pub mod mail;
pub mod sms_provider;
pub mod smtp_receiver;
pub mod tls;
