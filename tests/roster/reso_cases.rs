//! The RESO roster against the fake server: exact requests, auth, answers, failures, caching.

use std::time::Duration;

use mfa_gateway::config::{ResoAuth, ResoConfig, RosterConfig, RosterSource};
use mfa_gateway::roster::{from_config, Roster, RosterEntry, RosterError};
use serde_json::{json, Value};

use crate::fake_reso::{FakeReso, Fault, CLIENT_ID, CLIENT_SECRET, STATIC_TOKEN};

pub(crate) fn jdoe() -> Value {
    json!({"MemberLoginId": "jdoe", "MemberFullName": "Jane Doe", "MemberEmail": "jane.doe@example.com",
           "MemberMobilePhone": "(203) 555-0142", "MemberOfficePhone": "203-555-9999"})
}

pub(crate) fn jane() -> RosterEntry {
    RosterEntry {
        login_id: "jdoe".into(),
        name: Some("Jane Doe".into()),
        email: Some("jane.doe@example.com".into()),
        mobile: Some("+12035550142".into()),
    }
}

pub(crate) fn reso_config(fake: &FakeReso, auth: ResoAuth) -> ResoConfig {
    ResoConfig {
        base_url: fake.base_url(),
        auth,
        login_id_field: "MemberLoginId".into(),
        email_field: "MemberEmail".into(),
        phone_field: "MemberMobilePhone".into(),
        name_field: "MemberFullName".into(),
        timeout: Duration::from_secs(2),
        ca_file: None,
    }
}

fn bearer() -> ResoAuth {
    ResoAuth::Bearer {
        token: STATIC_TOKEN.into(),
    }
}

pub(crate) fn client_credentials(fake: &FakeReso, secret: &str) -> ResoAuth {
    ResoAuth::ClientCredentials {
        token_url: fake.token_url(),
        client_id: CLIENT_ID.into(),
        client_secret: secret.into(),
        scope: Some("api.read".into()),
    }
}

pub(crate) async fn roster(reso: ResoConfig, cache_ttl: Duration) -> std::sync::Arc<dyn Roster> {
    from_config(&RosterConfig {
        source: RosterSource::Reso(Box::new(reso)),
        cache_ttl,
    })
    .await
    .expect("roster builds")
}

/// Cache off, so every lookup reaches the fake.
const NO_CACHE: Duration = Duration::ZERO;

#[tokio::test]
async fn bearer_lookup_sends_the_exact_odata_query_and_maps_the_member() {
    let fake = FakeReso::start("MemberLoginId", vec![jdoe()], 3600).await;
    let roster = roster(reso_config(&fake, bearer()), NO_CACHE).await;

    assert_eq!(roster.lookup("jdoe").await, Ok(Some(jane())));

    let requests = fake.member_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/odata/Member");
    assert_eq!(
        requests[0].raw_query,
        "$filter=MemberLoginId%20eq%20%27jdoe%27\
         &$select=MemberLoginId%2CMemberEmail%2CMemberMobilePhone%2CMemberFullName&$top=2"
    );
    assert_eq!(
        requests[0].option("$filter").as_deref(),
        Some("MemberLoginId eq 'jdoe'")
    );
    assert_eq!(
        requests[0].option("$select").as_deref(),
        Some("MemberLoginId,MemberEmail,MemberMobilePhone,MemberFullName")
    );
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some(format!("Bearer {STATIC_TOKEN}").as_str())
    );
    assert!(
        fake.token_forms().is_empty(),
        "a static token needs no token endpoint"
    );
}

#[tokio::test]
async fn a_quote_in_the_login_id_is_doubled_inside_the_literal() {
    let member = json!({"MemberLoginId": "o'brien", "MemberEmail": "ob@example.com"});
    let fake = FakeReso::start("MemberLoginId", vec![member], 3600).await;
    let roster = roster(reso_config(&fake, bearer()), NO_CACHE).await;

    let entry = roster
        .lookup("o'brien")
        .await
        .expect("answered")
        .expect("found");
    assert_eq!(entry.email.as_deref(), Some("ob@example.com"));
    assert_eq!(entry.mobile, None);

    let request = &fake.member_requests()[0];
    assert!(
        request
            .raw_query
            .starts_with("$filter=MemberLoginId%20eq%20%27o%27%27brien%27&"),
        "{}",
        request.raw_query
    );
    assert_eq!(
        request.option("$filter").as_deref(),
        Some("MemberLoginId eq 'o''brien'")
    );
    // An injection attempt stays inside the literal and matches nobody.
    assert_eq!(roster.lookup("x' or MemberLoginId ne '").await, Ok(None));
}

#[tokio::test]
async fn configured_field_names_are_used_for_filter_select_and_mapping() {
    let member = json!({"LoginName": "JDoe", "PrimaryEmail": "custom@example.com", "CellPhone": "+44 20 7946 0958",
                        "DisplayName": "Jane Custom", "MemberEmail": "wrong@example.com", "MemberMobilePhone": "2035550000"});
    let fake = FakeReso::start("LoginName", vec![member], 3600).await;
    let mut config = reso_config(&fake, bearer());
    config.login_id_field = "LoginName".into();
    config.email_field = "PrimaryEmail".into();
    config.phone_field = "CellPhone".into();
    config.name_field = "DisplayName".into();
    let roster = roster(config, NO_CACHE).await;

    let entry = roster
        .lookup("JDoe")
        .await
        .expect("answered")
        .expect("found");
    assert_eq!(
        entry,
        RosterEntry {
            login_id: "JDoe".into(),
            name: Some("Jane Custom".into()),
            email: Some("custom@example.com".into()),
            mobile: Some("+442079460958".into()),
        }
    );
    let request = &fake.member_requests()[0];
    assert_eq!(
        request.option("$filter").as_deref(),
        Some("LoginName eq 'JDoe'")
    );
    assert_eq!(
        request.option("$select").as_deref(),
        Some("LoginName,PrimaryEmail,CellPhone,DisplayName")
    );
}

#[tokio::test]
async fn zero_rows_is_not_found_and_two_rows_is_ambiguous() {
    let twin = json!({"MemberLoginId": "twin", "MemberEmail": "a@example.com"});
    let fake = FakeReso::start("MemberLoginId", vec![jdoe(), twin.clone(), twin], 3600).await;
    let roster = roster(reso_config(&fake, bearer()), NO_CACHE).await;

    assert_eq!(roster.lookup("nobody").await, Ok(None));
    let error = roster.lookup("twin").await.expect_err("ambiguous");
    assert!(
        matches!(&error, RosterError::Invalid(message) if message.contains("more than one")),
        "{error}"
    );
    assert_eq!(roster.lookup("").await, Ok(None));
    assert_eq!(
        fake.member_requests().len(),
        2,
        "a blank login id is never sent"
    );
}

#[tokio::test]
async fn server_errors_and_garbage_are_unavailable_and_never_leak_the_token() {
    let fake = FakeReso::start("MemberLoginId", vec![jdoe()], 3600).await;
    let roster = roster(reso_config(&fake, bearer()), Duration::from_secs(60)).await;

    fake.set_fault(Fault::Status(500));
    let server_error = roster.lookup("jdoe").await.expect_err("500");
    assert_eq!(
        server_error,
        RosterError::Unavailable("RESO Member request answered HTTP 500".into())
    );
    fake.set_fault(Fault::NotJson);
    let garbage = roster.lookup("jdoe").await.expect_err("not json");
    assert!(
        matches!(&garbage, RosterError::Unavailable(message) if message.contains("not an OData collection")),
        "{garbage}"
    );
    fake.set_fault(Fault::RejectAllTokens);
    let refused = roster.lookup("jdoe").await.expect_err("401");
    assert_eq!(
        refused,
        RosterError::Unavailable("RESO Member request answered HTTP 401".into())
    );
    assert_eq!(
        fake.member_requests().len(),
        3,
        "errors are not cached and a static token is not retried"
    );
    for error in [server_error, garbage, refused] {
        assert!(!format!("{error} {error:?}").contains(STATIC_TOKEN));
    }

    fake.set_fault(Fault::None);
    assert_eq!(roster.lookup("jdoe").await, Ok(Some(jane())));
}

#[tokio::test]
async fn a_server_that_is_down_or_too_slow_is_unavailable() {
    let fake = FakeReso::start("MemberLoginId", vec![jdoe()], 3600).await;
    let mut config = reso_config(&fake, bearer());
    config.timeout = Duration::from_millis(300);
    let slow = roster(config, NO_CACHE).await;
    fake.set_fault(Fault::Slow(Duration::from_secs(3)));
    let error = slow.lookup("jdoe").await.expect_err("timeout");
    assert_eq!(
        error,
        RosterError::Unavailable("RESO Member request timed out after 300 ms".into())
    );

    // A port that was just free: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address");
    let mut config = reso_config(&fake, bearer());
    config.base_url = format!("http://{closed}/odata");
    let down = roster(config, NO_CACHE).await;
    let error = down.lookup("jdoe").await.expect_err("down");
    assert!(
        matches!(&error, RosterError::Unavailable(message) if message.starts_with("RESO Member request failed")),
        "{error}"
    );
}

#[tokio::test]
async fn client_credentials_token_is_fetched_reused_and_refreshed_after_expiry() {
    let fake = FakeReso::start("MemberLoginId", vec![jdoe()], 1).await;
    let roster = roster(
        reso_config(&fake, client_credentials(&fake, CLIENT_SECRET)),
        NO_CACHE,
    )
    .await;

    assert_eq!(roster.lookup("jdoe").await, Ok(Some(jane())));
    assert_eq!(roster.lookup("nobody").await, Ok(None));
    let forms = fake.token_forms();
    assert_eq!(forms.len(), 1, "the token is reused while valid");
    assert_eq!(
        forms[0].get("grant_type").map(String::as_str),
        Some("client_credentials")
    );
    assert_eq!(
        forms[0].get("client_id").map(String::as_str),
        Some(CLIENT_ID)
    );
    assert_eq!(
        forms[0].get("client_secret").map(String::as_str),
        Some(CLIENT_SECRET)
    );
    assert_eq!(forms[0].get("scope").map(String::as_str), Some("api.read"));
    let auth: Vec<_> = fake
        .member_requests()
        .into_iter()
        .map(|request| request.authorization)
        .collect();
    assert_eq!(auth, vec![Some("Bearer issued-token-1".to_string()); 2]);

    // expires_in is 1 s: after it the next lookup fetches a new token first.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(roster.lookup("jdoe").await, Ok(Some(jane())));
    assert_eq!(fake.token_forms().len(), 2);
    assert_eq!(
        fake.member_requests()[2].authorization.as_deref(),
        Some("Bearer issued-token-2")
    );
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once_after_a_401() {
    let fake = FakeReso::start("MemberLoginId", vec![jdoe()], 3600).await;
    let roster = roster(
        reso_config(&fake, client_credentials(&fake, CLIENT_SECRET)),
        NO_CACHE,
    )
    .await;
    assert_eq!(roster.lookup("jdoe").await, Ok(Some(jane())));

    fake.revoke_issued_tokens();
    assert_eq!(roster.lookup("jdoe").await, Ok(Some(jane())));
    let auth: Vec<_> = fake
        .member_requests()
        .into_iter()
        .filter_map(|request| request.authorization)
        .collect();
    assert_eq!(
        auth,
        [
            "Bearer issued-token-1",
            "Bearer issued-token-1",
            "Bearer issued-token-2"
        ]
    );

    // A server refusing every token gets exactly one retry, then the lookup fails closed.
    fake.set_fault(Fault::RejectAllTokens);
    let error = roster.lookup("jdoe").await.expect_err("refused");
    assert_eq!(
        error,
        RosterError::Unavailable("RESO Member request answered HTTP 401".into())
    );
    assert_eq!(fake.member_requests().len(), 5);
    assert_eq!(fake.token_forms().len(), 3);
}

#[tokio::test]
async fn a_wrong_client_secret_is_unavailable_without_echoing_it() {
    let fake = FakeReso::start("MemberLoginId", vec![jdoe()], 3600).await;
    let roster = roster(
        reso_config(&fake, client_credentials(&fake, "wrong-secret-123")),
        NO_CACHE,
    )
    .await;
    let error = roster.lookup("jdoe").await.expect_err("refused");
    assert_eq!(
        error,
        RosterError::Unavailable("RESO token request answered HTTP 401 (invalid_client)".into())
    );
    assert!(
        fake.member_requests().is_empty(),
        "no member request without a token"
    );
}

#[tokio::test]
async fn cached_answers_avoid_a_second_request_until_the_ttl_passes() {
    let fake = FakeReso::start("MemberLoginId", vec![jdoe()], 3600).await;
    let roster = roster(reso_config(&fake, bearer()), Duration::from_millis(300)).await;

    assert_eq!(roster.lookup("jdoe").await, Ok(Some(jane())));
    assert_eq!(roster.lookup("JDOE").await, Ok(Some(jane())));
    assert_eq!(roster.lookup("nobody").await, Ok(None));
    assert_eq!(roster.lookup("nobody").await, Ok(None));
    assert_eq!(
        fake.member_requests().len(),
        2,
        "found and not-found answers are both cached"
    );

    // The roster is corrected; after the TTL the correction is seen.
    let mut corrected = jdoe();
    corrected["MemberEmail"] = json!("jane.new@example.com");
    fake.set_members(vec![corrected]);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let entry = roster
        .lookup("jdoe")
        .await
        .expect("answered")
        .expect("found");
    assert_eq!(entry.email.as_deref(), Some("jane.new@example.com"));
    assert_eq!(fake.member_requests().len(), 3);
}
