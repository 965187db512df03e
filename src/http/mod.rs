//! Pure HTTP helpers: functions over headers and bytes, unit-tested without a pingora session.

pub mod classify;
pub mod cookies;
pub mod edge;
pub mod forwarded;
pub mod h2_host;
pub mod login_form;
pub mod login_success;
pub mod request_id;
pub mod response;
