//! The notice a member gets by email when their sign-in verification method was changed, so a
//! change made by someone holding their password does not go unnoticed. Its words are the
//! template `notice_method_changed.txt` (see [`crate::delivery::notice`]), in the language of
//! the request that made the change.

use crate::config::Method;
use crate::delivery::mask::mask_email;
use crate::delivery::notice::{send_notice, Notice};
use crate::delivery::Wording;
use crate::mfa::contact::method_name;
use crate::pages::Lang;
use crate::state::AppState;

/// Emails "your sign-in verification method was changed" to the address on file, in `lang`.
/// Never holds a code or secret. A failure is logged (and audited), never fatal: the change
/// stands.
pub async fn notify_method_changed(state: &AppState, user: &str, method: Method, lang: Lang) {
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
    let notice = Notice::MethodChanged(method);
    let body = match Wording::new(&state.pages, &state.config.branding).notice(
        lang,
        notice,
        entry.as_ref().and_then(|e| e.name.as_deref()),
    ) {
        Ok(body) => body,
        Err(_) => {
            // Rendered at start-up, so a bug; the detail is left out like for code messages.
            tracing::warn!(event = "change_notice_failed", user = %user, method = name, error = "the notice could not be written", template = notice.template());
            return;
        }
    };
    match send_notice(email, &to, &body).await {
        Ok(()) => {
            tracing::info!(event = "change_notice_sent", user = %user, method = name, destination = %masked, lang = lang.code())
        }
        Err(e) => {
            tracing::warn!(event = "change_notice_failed", user = %user, method = name, destination = %masked, error = %e)
        }
    }
}
