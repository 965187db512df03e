//! mfa-gateway: a pingora reverse proxy that adds multi-factor authentication in front of a
//! legacy MLS website without changing it. See `DESIGN.md` in the docs for how the pieces fit.

pub mod config;
pub mod demo;
pub mod pages;
pub mod store;
pub mod http;
pub mod mfa;
pub mod portal;
pub mod proxy;
pub mod state;
pub mod server;
