//! The file roster: the demo's YAML format, CSV exports, reloading after an edit, broken files.

use std::path::Path;
use std::time::Duration;

use mfa_gateway::config::{RosterConfig, RosterSource};
use mfa_gateway::demo::{demo_roster_yaml, demo_users};
use mfa_gateway::roster::{from_config, FileRoster, Roster, RosterEntry, RosterError};

async fn file_roster(
    path: &Path,
    cache_ttl: Duration,
) -> Result<std::sync::Arc<dyn Roster>, RosterError> {
    from_config(&RosterConfig {
        source: RosterSource::File {
            path: path.to_path_buf(),
        },
        cache_ttl,
    })
    .await
}

#[tokio::test]
async fn the_demo_yaml_roster_is_read_as_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("roster.yaml");
    std::fs::write(&path, demo_roster_yaml(&demo_users())).expect("write");
    let roster = file_roster(&path, Duration::from_secs(60))
        .await
        .expect("loads");

    for user in demo_users() {
        let entry = roster
            .lookup(&user.username.to_uppercase())
            .await
            .expect("answered")
            .expect("listed");
        assert_eq!(
            entry,
            RosterEntry {
                login_id: user.username.clone(),
                name: Some(user.display_name.clone()),
                email: Some(user.email.clone()),
                mobile: Some(user.mobile.clone()),
            }
        );
    }
    assert_eq!(roster.lookup("stranger").await, Ok(None));
}

#[tokio::test]
async fn a_csv_roster_is_read_with_its_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("members.csv");
    let csv = "login_id,name,email,mobile\n\
               JDoe,\"Doe, Jane\",jane.doe@example.com,(203) 555-0142\n\
               asmith,Alan Smith,,\n";
    std::fs::write(&path, csv).expect("write");
    let roster = file_roster(&path, Duration::from_secs(60))
        .await
        .expect("loads");

    let jane = roster
        .lookup("jdoe")
        .await
        .expect("answered")
        .expect("listed");
    assert_eq!(jane.name.as_deref(), Some("Doe, Jane"));
    assert_eq!(jane.mobile.as_deref(), Some("+12035550142"));
    let alan = roster
        .lookup("ASmith")
        .await
        .expect("answered")
        .expect("listed");
    assert_eq!((alan.email, alan.mobile), (None, None));
}

#[tokio::test]
async fn an_edited_file_is_picked_up_without_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("roster.csv");
    std::fs::write(&path, "login_id,email\njdoe,old@example.com\n").expect("write");
    let roster = file_roster(&path, Duration::ZERO).await.expect("loads");
    let email = |entry: Option<RosterEntry>| entry.and_then(|entry| entry.email);
    assert_eq!(
        email(roster.lookup("jdoe").await.expect("answered")).as_deref(),
        Some("old@example.com")
    );

    std::fs::write(
        &path,
        "login_id,email\njdoe,corrected@example.com\nnewbie,n@example.com\n",
    )
    .expect("rewrite");
    // The file is checked at most every couple of seconds; wait past one check interval.
    tokio::time::sleep(
        mfa_gateway::roster::file::DEFAULT_CHECK_INTERVAL + Duration::from_millis(500),
    )
    .await;
    assert_eq!(
        email(roster.lookup("jdoe").await.expect("answered")).as_deref(),
        Some("corrected@example.com")
    );
    assert!(roster.lookup("newbie").await.expect("answered").is_some());
}

#[tokio::test]
async fn a_file_broken_by_an_edit_fails_lookups_naming_it_until_fixed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("roster.yaml");
    std::fs::write(&path, "- login_id: jdoe\n  email: j@example.com\n").expect("write");
    let roster = FileRoster::open_with_check_interval(&path, Duration::ZERO)
        .await
        .expect("loads");
    assert!(roster.lookup("jdoe").await.expect("answered").is_some());

    std::fs::write(&path, "- login_id: jdoe\n  mobile: not-a-phone-number\n").expect("break");
    let error = roster.lookup("jdoe").await.expect_err("fails closed");
    let message = error.to_string();
    assert!(matches!(error, RosterError::Invalid(_)));
    assert!(
        message.contains("roster.yaml")
            && message.contains("entry 1")
            && message.contains("mobile"),
        "{message}"
    );

    std::fs::write(&path, "- login_id: jdoe\n  email: fixed@example.com\n").expect("fix");
    let entry = roster
        .lookup("jdoe")
        .await
        .expect("answered")
        .expect("listed");
    assert_eq!(entry.email.as_deref(), Some("fixed@example.com"));
}

#[tokio::test]
async fn a_bad_file_at_start_is_an_error_naming_the_file_and_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        (
            "bad.csv",
            "login_id,name,email,mobile\njdoe,Jane\n",
            "line 2",
        ),
        (
            "bad.yaml",
            "- login_id: jdoe\n  phone: 2035550142\n",
            "line 2",
        ),
        (
            "dupes.yaml",
            "- login_id: jdoe\n- login_id: JDOE\n",
            "entry 2",
        ),
    ];
    for (name, text, place) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        let error = file_roster(&path, Duration::from_secs(60))
            .await
            .err()
            .expect("refused");
        let message = error.to_string();
        assert!(
            message.contains(&path.display().to_string()) && message.contains(place),
            "{name}: {message}"
        );
    }
    let missing = dir.path().join("missing.yaml");
    let error = file_roster(&missing, Duration::from_secs(60))
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(&error, RosterError::Unavailable(message) if message.contains("missing.yaml")),
        "{error}"
    );
}
