use super::*;
use crate::admin::fields::FieldValue;

fn event(name: &str, extra: &[(&'static str, &str)]) -> EventFields {
    let mut values = vec![("event", FieldValue::Text(name.into()))];
    values.extend(
        extra
            .iter()
            .map(|(k, v)| (*k, FieldValue::Text((*v).into()))),
    );
    EventFields { values }
}

#[test]
fn building_the_registry_succeeds() {
    assert!(Metrics::new().is_ok());
}

#[test]
fn events_move_their_counters() {
    // A private instance, so parallel tests sharing the global one cannot interfere.
    let m = Metrics::new().unwrap();
    m.count_event(&event(
        "verify_succeeded",
        &[("method", "app"), ("stage", "challenge")],
    ));
    m.count_event(&event("verify_failed", &[]));
    m.count_event(&event(
        "enrollment_completed",
        &[("method", "text"), ("stage", "setup")],
    ));
    m.count_event(&event("code_sent", &[("method", "email")]));
    m.count_event(&event("member_locked", &[]));
    m.count_event(&event("support_action", &[("action", "reset")]));
    m.count_event(&event("Weird Name!", &[]));
    assert_eq!(
        m.verifications
            .with_label_values(&["app", "challenge", "success"])
            .get(),
        1
    );
    assert_eq!(
        m.verifications
            .with_label_values(&["unknown", "unknown", "failure"])
            .get(),
        1
    );
    // A completed set-up is a successful set-up verification too.
    assert_eq!(
        m.verifications
            .with_label_values(&["text", "setup", "success"])
            .get(),
        1
    );
    assert_eq!(m.enrollments.with_label_values(&["text"]).get(), 1);
    assert_eq!(m.codes_sent.with_label_values(&["email", "sent"]).get(), 1);
    assert_eq!(m.lockouts.get(), 1);
    assert_eq!(m.support_actions.with_label_values(&["reset"]).get(), 1);
    assert_eq!(m.events.with_label_values(&["other"]).get(), 1);
    assert_eq!(m.events.with_label_values(&["member_locked"]).get(), 1);
}

#[test]
fn fields_without_an_event_name_count_nothing() {
    let m = Metrics::new().unwrap();
    m.count_event(&EventFields::default());
    // The gateway's own counters (the process collector's CPU seconds move by themselves).
    assert!(m
        .registry
        .gather()
        .iter()
        .filter(|family| family.name().starts_with("mfa_gateway_"))
        .all(|family| family
            .get_metric()
            .iter()
            .all(|metric| metric.get_counter().get_value() == 0.0)));
}

#[test]
fn method_labels_are_bounded() {
    assert_eq!(method_label(Some("text")), "text");
    assert_eq!(method_label(Some("pigeon")), "unknown");
    assert_eq!(method_label(None), "unknown");
}

#[test]
fn request_outcomes_are_exposed_under_their_labels() {
    record_request(RequestOutcome::Stripped, Duration::from_millis(3));
    let text = render().unwrap();
    for series in [
        "mfa_gateway_requests_total{outcome=\"stripped\"}",
        "mfa_gateway_request_duration_seconds_bucket{outcome=\"stripped\",le=\"0.005\"}",
        "mfa_gateway_build_info{version=\"",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
    ] {
        assert!(text.contains(series), "{series} in {text}");
    }
}
