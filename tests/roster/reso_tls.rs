//! The RESO Web API over TLS with a private CA (issue 15: one trust store): with
//! `roster.reso.ca_file` naming the CA, lookups and the OAuth token request both succeed over
//! TLS; without it (the CA is not among the platform's roots) the lookup is an outage, never
//! an answer, and the API saw nothing.

use std::time::Duration;

use mfa_gateway::config::ResoConfig;
use mfa_gateway::roster::RosterError;

use super::fake_reso::FakeReso;
use super::fake_reso::CLIENT_SECRET;
use super::reso_cases::{client_credentials, jane, jdoe, reso_config, roster};
use super::tls_support::PrivateCa;

/// The fake's URLs moved behind a TLS front presenting `ca`'s certificate.
async fn over_tls(fake: &FakeReso, ca: &PrivateCa, config: ResoConfig) -> ResoConfig {
    let front = ca.tls_front(fake.address).await;
    let plain = format!("http://{}", fake.address);
    let secure = format!("https://{front}");
    let mut config = config;
    config.base_url = config.base_url.replace(&plain, &secure);
    if let mfa_gateway::config::ResoAuth::ClientCredentials { token_url, .. } = &mut config.auth {
        *token_url = token_url.replace(&plain, &secure);
    }
    config
}

#[tokio::test]
async fn lookups_and_the_token_request_trust_the_ca_file() {
    let fake = FakeReso::start("MemberLoginId", vec![jdoe()], 3600).await;
    let ca = PrivateCa::new("Test RESO CA");
    let auth = client_credentials(&fake, CLIENT_SECRET);
    let mut config = over_tls(&fake, &ca, reso_config(&fake, auth)).await;
    assert!(
        config.base_url.starts_with("https://"),
        "{}",
        config.base_url
    );
    config.ca_file = Some(ca.ca_file());
    let roster = roster(config, Duration::ZERO).await;
    assert_eq!(roster.lookup("jdoe").await, Ok(Some(jane())));
    assert_eq!(
        fake.token_forms().len(),
        1,
        "the token was fetched over TLS"
    );
    assert_eq!(fake.member_requests().len(), 1);
}

#[tokio::test]
async fn a_server_whose_ca_is_not_trusted_is_an_outage() {
    let fake = FakeReso::start("MemberLoginId", vec![jdoe()], 3600).await;
    let ca = PrivateCa::new("Test RESO CA");
    let other = PrivateCa::new("Someone else's CA");
    for ca_file in [None, Some(other.ca_file())] {
        let auth = client_credentials(&fake, CLIENT_SECRET);
        let mut config = over_tls(&fake, &ca, reso_config(&fake, auth)).await;
        config.ca_file = ca_file.clone();
        let roster = roster(config, Duration::ZERO).await;
        let answer = roster.lookup("jdoe").await;
        assert!(
            matches!(answer, Err(RosterError::Unavailable(_))),
            "{ca_file:?}: {answer:?}"
        );
    }
    assert!(fake.token_forms().is_empty() && fake.member_requests().is_empty());
}
