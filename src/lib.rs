//! mfa-gateway: a pingora reverse proxy that adds multi-factor authentication in front of a
//! legacy MLS website without changing it. See `DESIGN.md` in the docs for how the pieces fit.

pub mod admin;
pub mod api;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod http;
pub mod mfa;
pub mod pages;
pub mod portal;
pub mod proxy;
pub mod roster;
pub mod server;
pub mod state;
pub mod store;
pub mod trust;
