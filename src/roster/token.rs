//! Credentials for the RESO Web API: a static bearer token, or OAuth 2 client credentials whose
//! access token is fetched on first use, reused until shortly before it expires, and fetched
//! again early when the API answers 401 (the provider may revoke tokens before `expires_in`).
//!
//! Token values and the client secret never appear in errors or logs.

use std::time::{Duration, Instant};

use reqwest::Client;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::reso::{describe_failure, read_body};
use super::RosterError;
use crate::config::ResoAuth;

/// Token lifetime assumed when the provider omits `expires_in`; short, because a stale token
/// costs one 401 and a refresh, never a wrong answer.
const ASSUMED_LIFETIME: Duration = Duration::from_secs(300);

/// Longest head start taken before a token's announced expiry, so a token is never sent in the
/// last moments of its life (clock skew, request latency).
const MAX_EARLY_REFRESH: Duration = Duration::from_secs(30);

/// How requests to the RESO API are authorised.
pub(super) enum Credentials {
    Bearer(String),
    ClientCredentials(TokenSource),
}

impl Credentials {
    pub(super) fn from_config(auth: &ResoAuth, timeout: Duration) -> Self {
        match auth {
            ResoAuth::Bearer { token } => Self::Bearer(token.clone()),
            ResoAuth::ClientCredentials {
                token_url,
                client_id,
                client_secret,
                scope,
            } => Self::ClientCredentials(TokenSource {
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                scope: scope.clone(),
                timeout,
                cached: Mutex::new(None),
            }),
        }
    }

    /// The token to send now.
    pub(super) async fn token(&self, client: &Client) -> Result<String, RosterError> {
        match self {
            Self::Bearer(token) => Ok(token.clone()),
            Self::ClientCredentials(source) => source.token(client).await,
        }
    }

    /// A replacement for `rejected` after a 401, or `None` when there is nothing to replace it
    /// with (a static token that was refused stays refused).
    pub(super) async fn replace(
        &self,
        client: &Client,
        rejected: &str,
    ) -> Option<Result<String, RosterError>> {
        match self {
            Self::Bearer(_) => None,
            Self::ClientCredentials(source) => Some(source.replace(client, rejected).await),
        }
    }
}

/// OAuth 2 client-credentials grant with a cached access token.
pub(super) struct TokenSource {
    token_url: String,
    client_id: String,
    client_secret: String,
    scope: Option<String>,
    timeout: Duration,
    /// Held across a fetch so concurrent lookups wait for one token instead of each fetching.
    cached: Mutex<Option<CachedToken>>,
}

struct CachedToken {
    value: String,
    refresh_after: Instant,
}

/// The token endpoint's answer (RFC 6749 §5.1). Some providers send `expires_in` as a string.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

impl TokenSource {
    async fn token(&self, client: &Client) -> Result<String, RosterError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached
            .as_ref()
            .filter(|token| Instant::now() < token.refresh_after)
        {
            return Ok(token.value.clone());
        }
        let fresh = self.fetch(client).await?;
        let value = fresh.value.clone();
        *cached = Some(fresh);
        Ok(value)
    }

    async fn replace(&self, client: &Client, rejected: &str) -> Result<String, RosterError> {
        let mut cached = self.cached.lock().await;
        // Another lookup may already have replaced the rejected token while this one waited.
        if let Some(token) = cached.as_ref().filter(|token| token.value != rejected) {
            return Ok(token.value.clone());
        }
        *cached = None;
        let fresh = self.fetch(client).await?;
        let value = fresh.value.clone();
        *cached = Some(fresh);
        Ok(value)
    }

    async fn fetch(&self, client: &Client) -> Result<CachedToken, RosterError> {
        let what = "RESO token request";
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
        ];
        if let Some(scope) = &self.scope {
            form.push(("scope", scope.as_str()));
        }
        let requested_at = Instant::now();
        let response = client
            .post(&self.token_url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|error| describe_failure(what, error, self.timeout))?;
        let status = response.status();
        let body = read_body(response, what, self.timeout).await?;
        if !status.is_success() {
            return Err(RosterError::Unavailable(format!(
                "{what} answered HTTP {}{}",
                status.as_u16(),
                oauth_error_code(&body)
            )));
        }
        let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|_| {
            RosterError::Unavailable(format!("{what}: the answer is not an OAuth token response"))
        })?;
        if answer.access_token.is_empty() {
            return Err(RosterError::Unavailable(format!(
                "{what}: the answer has an empty access_token"
            )));
        }
        let lifetime = announced_lifetime(answer.expires_in.as_ref()).unwrap_or(ASSUMED_LIFETIME);
        let early = (lifetime / 10).min(MAX_EARLY_REFRESH);
        // Counted from when the request was sent: the provider's clock started no earlier.
        Ok(CachedToken {
            value: answer.access_token,
            refresh_after: requested_at + (lifetime - early),
        })
    }
}

fn announced_lifetime(expires_in: Option<&serde_json::Value>) -> Option<Duration> {
    let seconds = match expires_in? {
        serde_json::Value::Number(number) => number.as_u64()?,
        serde_json::Value::String(text) => text.trim().parse().ok()?,
        _ => return None,
    };
    Some(Duration::from_secs(seconds))
}

/// ` (invalid_client)` from an RFC 6749 error answer, so ops can tell a wrong secret from an
/// outage; only the standard short code is shown, never the provider's free text.
fn oauth_error_code(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ErrorAnswer {
        error: String,
    }
    match serde_json::from_slice::<ErrorAnswer>(body) {
        Ok(answer)
            if !answer.error.is_empty()
                && answer.error.len() <= 64
                && answer
                    .error
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte == b'_') =>
        {
            format!(" ({})", answer.error)
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lifetimes_are_read_from_numbers_and_numeric_strings() {
        assert_eq!(
            announced_lifetime(Some(&json!(3600))),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            announced_lifetime(Some(&json!("3599"))),
            Some(Duration::from_secs(3599))
        );
        assert_eq!(announced_lifetime(Some(&json!(-5))), None);
        assert_eq!(announced_lifetime(Some(&json!("soon"))), None);
        assert_eq!(announced_lifetime(None), None);
    }

    #[test]
    fn only_standard_error_codes_are_repeated() {
        assert_eq!(
            oauth_error_code(br#"{"error":"invalid_client"}"#),
            " (invalid_client)"
        );
        assert_eq!(
            oauth_error_code(br#"{"error":"Secret abc123 is wrong"}"#),
            ""
        );
        assert_eq!(oauth_error_code(b"<html>"), "");
    }
}
