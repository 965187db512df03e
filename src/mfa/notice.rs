//! The notice a member gets by email when their sign-in verification method was changed, so a
//! change made by someone holding their password does not go unnoticed.

use crate::config::Method;
use crate::delivery::mask::mask_email;
use crate::mfa::contact::method_name;
use crate::state::AppState;

/// Emails "your sign-in verification method was changed" to the address on file. Never holds
/// a code or secret. A failure is logged (and audited), never fatal: the change stands.
pub async fn notify_method_changed(state: &AppState, user: &str, method: Method) {
    let name = method_name(method);
    let entry = match state.roster.lookup(user).await {
        Ok(entry) => entry,
        Err(e) => {
            tracing::warn!(event = "change_notice_failed", user = %user, method = name, error = %e);
            return;
        }
    };
    let Some(to) = entry.as_ref().and_then(|e| e.email.clone()) else {
        tracing::warn!(event = "change_notice_failed", user = %user, method = name, error = "no email address on file");
        return;
    };
    let Some(email) = state.config.email.as_ref() else {
        tracing::warn!(event = "change_notice_failed", user = %user, method = name, error = "email delivery is not configured");
        return;
    };
    let masked = mask_email(&to);
    let text = change_notice_text(
        &state.config.branding,
        entry.as_ref().and_then(|e| e.name.as_deref()),
        method,
    );
    let subject = format!(
        "Your {} sign-in verification method was changed",
        state.config.branding.name
    );
    match crate::delivery::notice::send_notice(email, &to, &subject, &text).await {
        Ok(()) => {
            tracing::info!(event = "change_notice_sent", user = %user, method = name, destination = %masked)
        }
        Err(e) => {
            tracing::warn!(event = "change_notice_failed", user = %user, method = name, destination = %masked, error = %e)
        }
    }
}

/// The words of the change notice (plain text).
pub fn change_notice_text(
    branding: &crate::config::Branding,
    member_name: Option<&str>,
    method: Method,
) -> String {
    let greeting = match member_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => format!("Hello {name},"),
        None => "Hello,".to_string(),
    };
    let how = match method {
        Method::App => "an authenticator app",
        Method::Email => "codes sent to your email address",
        Method::Text => "codes sent by text message to your mobile number",
    };
    let brand = &branding.name;
    format!(
        "{greeting}\n\n\
         Your {brand} sign-in verification method was changed: you now sign in with {how}.\n\n\
         If this wasn't you, someone may know your password. Contact {brand} support right away: \
         {email}, {phone}{hours}.\n\n\
         {brand}\n",
        email = branding.support_email,
        phone = branding.support_phone,
        hours = if branding.support_hours.is_empty() {
            String::new()
        } else {
            format!(" ({})", branding.support_hours)
        },
    )
}
