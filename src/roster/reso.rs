//! A roster backed by the RESO Web API `Member` resource (OData over HTTPS).
//!
//! One lookup is one request:
//! `GET {base_url}/Member?$filter=MemberLoginId eq '<id>'&$select=…&$top=2`.
//! `$top=2` is enough to tell "exactly one member" from "ambiguous" without paging through a
//! misconfigured filter's whole answer. Anything short of a clean, unambiguous answer is an error
//! so the caller fails closed rather than sending a code to the wrong person.

use std::time::Duration;

use async_trait::async_trait;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::{Client, Response, StatusCode, Url};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::normalize::{login_key, mobile_e164, non_blank};
use super::token::Credentials;
use super::{Roster, RosterEntry, RosterError};
use crate::config::ResoConfig;
use crate::trust::{http_client_trust, CaBundle};

/// Largest answer read from the RESO API or its token endpoint; a `$top=2` page is tiny, so
/// anything bigger is a misbehaving server, not data.
const MAX_BODY_BYTES: usize = 1 << 20;

/// Everything except RFC 3986 unreserved characters is percent-encoded, so spaces become `%20`
/// (not `+`, which strict OData servers read literally) and quotes cannot end the query early.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The `Member` field names to filter on and read.
#[derive(Debug, Clone)]
struct MemberFields {
    login_id: String,
    email: String,
    phone: String,
    name: String,
}

/// Looks members up in a RESO Web API server.
pub struct ResoRoster {
    client: Client,
    member_url: Url,
    fields: MemberFields,
    credentials: Credentials,
    timeout: Duration,
}

impl ResoRoster {
    /// Prepares the HTTP client. Nothing is sent until the first lookup.
    pub fn new(config: &ResoConfig) -> Result<Self, RosterError> {
        let member_url = Url::parse(&format!("{}/Member", config.base_url.trim_end_matches('/')))
            .map_err(|error| {
            RosterError::Invalid(format!("roster.reso.base_url is not a URL: {error}"))
        })?;
        let ca = CaBundle::read_optional("roster.reso.ca_file", config.ca_file.as_deref())
            .map_err(|error| RosterError::Invalid(error.to_string()))?;
        let builder = Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            // A redirect from an API endpoint is a misconfiguration; following it could carry
            // the bearer token somewhere unexpected.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("mfa-gateway/", env!("CARGO_PKG_VERSION")));
        // One client for the API and the token URL, so both trust the same CAs.
        let client = http_client_trust(builder, ca.as_ref())
            .build()
            .map_err(|error| {
                RosterError::Unavailable(format!("cannot set up the RESO HTTP client: {error}"))
            })?;
        Ok(Self {
            client,
            member_url,
            fields: MemberFields {
                login_id: config.login_id_field.clone(),
                email: config.email_field.clone(),
                phone: config.phone_field.clone(),
                name: config.name_field.clone(),
            },
            credentials: Credentials::from_config(&config.auth, config.timeout),
            timeout: config.timeout,
        })
    }

    /// The `Member` URL with the query for `login_id`.
    fn member_query_url(&self, login_id: &str) -> Url {
        let fields = &self.fields;
        let filter = format!("{} eq {}", fields.login_id, odata_string(login_id));
        let select = [&fields.login_id, &fields.email, &fields.phone, &fields.name]
            .map(String::as_str)
            .join(",");
        let query = format!(
            "$filter={}&$select={}&$top=2",
            utf8_percent_encode(&filter, QUERY_VALUE),
            utf8_percent_encode(&select, QUERY_VALUE)
        );
        let mut url = self.member_url.clone();
        url.set_query(Some(&query));
        url
    }

    async fn get(&self, url: &Url, token: &str) -> Result<Response, RosterError> {
        self.client
            .get(url.clone())
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| describe_failure("RESO Member request", error, self.timeout))
    }

    /// Sends the request, replacing an OAuth token the server refused once.
    async fn fetch_rows(&self, login_id: &str) -> Result<Vec<Map<String, Value>>, RosterError> {
        let what = "RESO Member request";
        let url = self.member_query_url(login_id);
        let token = self.credentials.token(&self.client).await?;
        let mut response = self.get(&url, &token).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            if let Some(replacement) = self.credentials.replace(&self.client, &token).await {
                response = self.get(&url, &replacement?).await?;
            }
        }
        let status = response.status();
        if !status.is_success() {
            return Err(RosterError::Unavailable(format!(
                "{what} answered HTTP {}",
                status.as_u16()
            )));
        }
        let body = read_body(response, what, self.timeout).await?;
        #[derive(Deserialize)]
        struct Page {
            value: Vec<Map<String, Value>>,
        }
        let page: Page = serde_json::from_slice(&body).map_err(|_| {
            RosterError::Unavailable(format!(
                "{what}: the answer is not an OData collection of members"
            ))
        })?;
        Ok(page.value)
    }

    /// Turns the one returned member into an entry, checking it is the member asked for.
    fn entry_from_row(
        &self,
        requested: &str,
        row: &Map<String, Value>,
    ) -> Result<RosterEntry, RosterError> {
        let fields = &self.fields;
        let login_id = text(row, &fields.login_id).unwrap_or_default();
        // A server that ignored `$filter` (or a wrong login_id_field) would otherwise hand us
        // some other member, and their phone would receive this member's code.
        if login_key(&login_id) != login_key(requested) {
            return Err(RosterError::Invalid(format!(
                "RESO returned a member whose {} is not \"{requested}\" (check roster.reso.login_id_field)",
                fields.login_id
            )));
        }
        let mobile = text(row, &fields.phone).and_then(|raw| match mobile_e164(&raw) {
            Ok(mobile) => mobile,
            Err(problem) => {
                // Not fatal: the member can still use email or the app, and the pages tell
                // them to correct their roster phone.
                tracing::warn!(login_id = requested, field = %fields.phone, "RESO mobile ignored: {problem}");
                None
            }
        });
        Ok(RosterEntry {
            login_id,
            name: text(row, &fields.name).and_then(|name| non_blank(Some(&name))),
            email: text(row, &fields.email).and_then(|email| non_blank(Some(&email))),
            mobile,
        })
    }
}

#[async_trait]
impl Roster for ResoRoster {
    async fn lookup(&self, login_id: &str) -> Result<Option<RosterEntry>, RosterError> {
        let login_id = login_id.trim();
        if login_id.is_empty() {
            return Ok(None);
        }
        let rows = self.fetch_rows(login_id).await?;
        match rows.as_slice() {
            [] => Ok(None),
            [row] => self.entry_from_row(login_id, row).map(Some),
            _ => Err(RosterError::Invalid(format!(
                "RESO has more than one member with login id \"{login_id}\""
            ))),
        }
    }
}

/// An OData string literal: single-quoted, with quotes inside doubled (`o'brien` → `'o''brien'`).
fn odata_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// A field's value as text: strings as they are, numbers as digits, anything else absent.
fn text(row: &Map<String, Value>, field: &str) -> Option<String> {
    match row.get(field)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Reads a response body, refusing answers larger than [`MAX_BODY_BYTES`].
pub(super) async fn read_body(
    mut response: Response,
    what: &str,
    timeout: Duration,
) -> Result<Vec<u8>, RosterError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| describe_failure(what, error, timeout))?
    {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(RosterError::Unavailable(format!(
                "{what}: the answer is larger than {MAX_BODY_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An [`RosterError::Unavailable`] saying why a request failed, without the URL (it may carry a
/// member's login id) and with the underlying cause, which reqwest's own message leaves out.
pub(super) fn describe_failure(
    what: &str,
    error: reqwest::Error,
    timeout: Duration,
) -> RosterError {
    if error.is_timeout() {
        return RosterError::Unavailable(format!(
            "{what} timed out after {} ms",
            timeout.as_millis()
        ));
    }
    let error = error.without_url();
    let mut message = format!("{what} failed: {error}");
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        message.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    RosterError::Unavailable(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ResoAuth;
    use serde_json::json;

    fn roster(base_url: &str) -> ResoRoster {
        ResoRoster::new(&ResoConfig {
            base_url: base_url.into(),
            auth: ResoAuth::Bearer { token: "t".into() },
            login_id_field: "MemberLoginId".into(),
            email_field: "MemberEmail".into(),
            phone_field: "MemberMobilePhone".into(),
            name_field: "MemberFullName".into(),
            timeout: Duration::from_secs(1),
            ca_file: None,
        })
        .expect("client builds")
    }

    #[test]
    fn odata_strings_double_single_quotes() {
        assert_eq!(odata_string("jdoe"), "'jdoe'");
        assert_eq!(odata_string("o'brien"), "'o''brien'");
        assert_eq!(odata_string("''"), "''''''");
    }

    #[test]
    fn query_is_percent_encoded_with_literal_option_names() {
        let url = roster("https://api.example.com/reso/odata/").member_query_url("o'brien & co");
        assert_eq!(url.path(), "/reso/odata/Member");
        assert_eq!(
            url.query(),
            Some(
                "$filter=MemberLoginId%20eq%20%27o%27%27brien%20%26%20co%27\
                 &$select=MemberLoginId%2CMemberEmail%2CMemberMobilePhone%2CMemberFullName&$top=2"
            )
        );
    }

    #[test]
    fn rows_map_to_entries_with_normalised_values() {
        let roster = roster("https://api.example.com/odata");
        let row = json!({"MemberLoginId": "JDoe", "MemberEmail": " jane@example.com ", "MemberMobilePhone": "(203) 555-0142", "MemberFullName": ""});
        let entry = roster
            .entry_from_row("jdoe", row.as_object().expect("object"))
            .expect("matches");
        assert_eq!(
            entry,
            RosterEntry {
                login_id: "JDoe".into(),
                name: None,
                email: Some("jane@example.com".into()),
                mobile: Some("+12035550142".into())
            }
        );
    }

    #[test]
    fn an_unusable_mobile_is_dropped_not_fatal() {
        let roster = roster("https://api.example.com/odata");
        let row = json!({"MemberLoginId": "jdoe", "MemberMobilePhone": "555-0142 ext 9", "MemberEmail": null});
        let entry = roster
            .entry_from_row("jdoe", row.as_object().expect("object"))
            .expect("matches");
        assert_eq!((entry.mobile, entry.email), (None, None));
    }

    #[test]
    fn a_row_for_someone_else_is_refused() {
        let roster = roster("https://api.example.com/odata");
        for row in [
            json!({"MemberLoginId": "asmith"}),
            json!({"MemberEmail": "a@example.com"}),
        ] {
            let error = roster
                .entry_from_row("jdoe", row.as_object().expect("object"))
                .expect_err("mismatch");
            assert!(matches!(error, RosterError::Invalid(_)), "{error}");
        }
    }

    #[test]
    fn a_base_url_that_is_not_a_url_is_invalid() {
        let config = ResoConfig {
            base_url: "not a url".into(),
            auth: ResoAuth::Bearer { token: "t".into() },
            login_id_field: "MemberLoginId".into(),
            email_field: "MemberEmail".into(),
            phone_field: "MemberMobilePhone".into(),
            name_field: "MemberFullName".into(),
            timeout: Duration::from_secs(1),
            ca_file: None,
        };
        assert!(matches!(
            ResoRoster::new(&config),
            Err(RosterError::Invalid(_))
        ));
    }
}
