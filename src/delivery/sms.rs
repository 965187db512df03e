//! Text-message delivery over HTTP: a Twilio-compatible Messages API or a generic JSON webhook.
//!
//! Twilio: `POST {base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form fields `To`,
//! `From`, `Body`, HTTP basic auth with the account SID and auth token; `201 Created` on
//! success, a JSON error (`code`, `message`) otherwise. Webhook: `POST {url}` with JSON
//! `{"to","from","body"}` and an optional bearer token; any 2xx is success.
//!
//! Provider answers are never copied wholesale into errors: only the error code and a scrubbed,
//! truncated message survive, so neither the code nor the member's number can leak through a
//! provider that echoes the request.

use async_trait::async_trait;
use reqwest::{Client, RequestBuilder, Response};
use serde::Deserialize;

use super::mask::{mask_phone, scrub_detail};
use super::phone::normalize_phone;
use super::{error_chain, log_outcome, CodeMessage, CodeSender, DeliveryError};
use crate::config::{SmsConfig, SmsProvider};
use crate::trust::{http_client_trust, CaBundle};

/// Largest part of an error answer that is read.
const MAX_ERROR_BODY_BYTES: usize = 16 * 1024;

/// Which HTTP API the sender talks to.
enum Api {
    Twilio {
        messages_url: String,
        account_sid: String,
        auth_token: String,
    },
    Webhook {
        url: String,
        bearer_token: Option<String>,
    },
}

impl Api {
    fn provider(&self) -> &'static str {
        match self {
            Api::Twilio { .. } => "twilio",
            Api::Webhook { .. } => "webhook",
        }
    }
}

/// Sends code texts through an HTTP SMS provider (the text comes with each message).
pub struct HttpSmsSender {
    client: Client,
    api: Api,
    from: String,
}

/// Twilio's JSON error document (other fields ignored).
#[derive(Deserialize)]
struct TwilioError {
    code: Option<u32>,
    message: Option<String>,
}

/// Common shapes of a webhook's JSON error answer.
#[derive(Deserialize)]
struct WebhookError {
    error: Option<String>,
    message: Option<String>,
}

impl HttpSmsSender {
    /// Builds the sender. Fails with [`DeliveryError::Misconfigured`] for the outbox provider,
    /// an account SID that is not a plain identifier, or when no HTTP client can be built.
    pub fn new(cfg: &SmsConfig) -> Result<Self, DeliveryError> {
        let api = match &cfg.provider {
            SmsProvider::Twilio {
                base_url,
                account_sid,
                auth_token,
            } => {
                // The SID goes into the URL path; anything but letters and digits could
                // redirect the request to another resource.
                if account_sid.is_empty() || !account_sid.bytes().all(|b| b.is_ascii_alphanumeric())
                {
                    return Err(DeliveryError::Misconfigured(
                        "sms.twilio.account_sid must be letters and digits only".into(),
                    ));
                }
                Api::Twilio {
                    messages_url: format!(
                        "{}/2010-04-01/Accounts/{account_sid}/Messages.json",
                        base_url.trim_end_matches('/')
                    ),
                    account_sid: account_sid.clone(),
                    auth_token: auth_token.clone(),
                }
            }
            SmsProvider::Webhook { url, bearer_token } => Api::Webhook {
                url: url.clone(),
                bearer_token: bearer_token.clone(),
            },
            SmsProvider::Outbox { .. } => {
                return Err(DeliveryError::Misconfigured(
                    "the sms outbox is not an HTTP provider".into(),
                ));
            }
        };
        let ca = CaBundle::read_optional("sms.ca_file", cfg.ca_file.as_deref())
            .map_err(|error| DeliveryError::Misconfigured(error.to_string()))?;
        let builder = Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout)
            // A redirected POST could carry the code and credentials somewhere unexpected.
            .redirect(reqwest::redirect::Policy::none());
        let client = http_client_trust(builder, ca.as_ref())
            .build()
            .map_err(|error| {
                DeliveryError::Misconfigured(format!(
                    "cannot build the HTTP client for text messages: {error}"
                ))
            })?;
        Ok(Self {
            client,
            api,
            from: cfg.from.clone(),
        })
    }

    /// Builds the provider request for one message to `to` (already E.164).
    fn request(&self, to: &str, body: &str) -> RequestBuilder {
        match &self.api {
            Api::Twilio {
                messages_url,
                account_sid,
                auth_token,
            } => self
                .client
                .post(messages_url)
                .basic_auth(account_sid, Some(auth_token))
                .form(&[("To", to), ("From", self.from.as_str()), ("Body", body)]),
            Api::Webhook { url, bearer_token } => {
                let request = self
                    .client
                    .post(url)
                    .json(&serde_json::json!({ "to": to, "from": self.from, "body": body }));
                match bearer_token {
                    Some(token) => request.bearer_auth(token),
                    None => request,
                }
            }
        }
    }

    /// Turns a non-2xx answer into [`DeliveryError::Rejected`] with the provider's own error
    /// code and message when it sent JSON, and only the status otherwise.
    async fn rejection(&self, response: Response, to: &str) -> DeliveryError {
        let status = response.status();
        let provider = self.api.provider();
        let text = read_limited(response).await;
        let explained = match &self.api {
            Api::Twilio { .. } => serde_json::from_str::<TwilioError>(&text)
                .ok()
                .map(|error| {
                    let code = error
                        .code
                        .map(|code| format!("Twilio error {code}"))
                        .unwrap_or_default();
                    join_nonempty(&code, error.message.as_deref().unwrap_or_default())
                }),
            Api::Webhook { .. } => serde_json::from_str::<WebhookError>(&text)
                .ok()
                .map(|error| error.error.or(error.message).unwrap_or_default()),
        };
        let detail = match explained.filter(|explained| !explained.trim().is_empty()) {
            Some(explained) => scrub_detail(&explained, to),
            None => format!("HTTP {status}"),
        };
        DeliveryError::Rejected {
            provider,
            status: Some(status.as_u16()),
            detail,
        }
    }
}

#[async_trait]
impl CodeSender for HttpSmsSender {
    async fn send(&self, msg: &CodeMessage) -> Result<(), DeliveryError> {
        let provider = self.api.provider();
        let masked = mask_phone(&msg.to);
        let outcome = async {
            let to = normalize_phone(&msg.to).ok_or(DeliveryError::InvalidDestination {
                provider,
                expected: "phone number",
            })?;
            let response = self
                .request(&to, &msg.body.plain)
                .send()
                .await
                .map_err(|error| {
                    // `without_url` keeps a webhook URL's query (which may hold a key) out of errors.
                    DeliveryError::Unreachable {
                        provider,
                        detail: scrub_detail(&error_chain(&error.without_url()), &to),
                    }
                })?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(self.rejection(response, &to).await)
            }
        }
        .await;
        log_outcome(provider, &masked, &outcome);
        outcome
    }

    fn provider(&self) -> &'static str {
        self.api.provider()
    }
}

/// Reads at most [`MAX_ERROR_BODY_BYTES`] of an error answer: enough for any provider's JSON
/// error, and a misbehaving endpoint cannot make the gateway buffer an endless body.
async fn read_limited(mut response: Response) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ERROR_BODY_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ERROR_BODY_BYTES {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

fn join_nonempty(first: &str, second: &str) -> String {
    match (first.is_empty(), second.is_empty()) {
        (true, _) => second.to_string(),
        (false, true) => first.to_string(),
        (false, false) => format!("{first}: {second}"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn twilio(sid: &str) -> SmsConfig {
        SmsConfig {
            provider: SmsProvider::Twilio {
                base_url: "https://api.twilio.com/".into(),
                account_sid: sid.into(),
                auth_token: "token".into(),
            },
            from: "+18336972963".into(),
            timeout: Duration::from_secs(5),
            ca_file: None,
        }
    }

    #[test]
    fn twilio_url_is_built_from_base_and_sid() {
        let sender = HttpSmsSender::new(&twilio("AC123")).expect("valid config");
        let Api::Twilio { messages_url, .. } = &sender.api else {
            panic!("expected twilio")
        };
        assert_eq!(
            messages_url,
            "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
        );
        assert_eq!(sender.provider(), "twilio");
    }

    #[test]
    fn sid_with_path_characters_is_refused() {
        for sid in ["", "AC1/../x", "AC 1", "AC1?x=1"] {
            let result = HttpSmsSender::new(&twilio(sid));
            assert!(
                matches!(result, Err(DeliveryError::Misconfigured(_))),
                "{sid:?}"
            );
        }
    }

    #[test]
    fn outbox_is_not_an_http_provider() {
        let mut cfg = twilio("AC1");
        cfg.provider = SmsProvider::Outbox { dir: "/tmp".into() };
        assert!(matches!(
            HttpSmsSender::new(&cfg),
            Err(DeliveryError::Misconfigured(_))
        ));
    }

    #[test]
    fn joined_explanations_skip_empty_parts() {
        assert_eq!(
            join_nonempty("Twilio error 21211", "bad To"),
            "Twilio error 21211: bad To"
        );
        assert_eq!(join_nonempty("", "bad To"), "bad To");
        assert_eq!(
            join_nonempty("Twilio error 21211", ""),
            "Twilio error 21211"
        );
    }
}
