//! The MFA logic: codes, cookies, held logins and the decisions made at login and at
//! verification. Nothing here knows about pingora; the proxy and the pages call into it.

pub mod claims;
pub mod codes;
pub mod contact;
pub mod identity;
pub mod limits;
pub mod login;
pub mod notice;
pub mod pending;
pub mod redirect;
pub mod release;
pub mod revocation;
pub mod session;
pub mod tokens;
pub mod totp;
pub mod username;
pub mod verify;
