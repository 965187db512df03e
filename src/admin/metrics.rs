//! Prometheus metrics, in a registry of the gateway's own (served on the admin listener's
//! `/metrics`).
//!
//! Most counters are fed by [`MetricsLayer`], a `tracing` layer that counts the structured
//! events the gateway already emits (`event = "verify_succeeded"`, …), so call sites stay free of
//! metrics code. What happens on every request has no event and must stay cheap: the proxy
//! decides a request's [`RequestOutcome`] in its hooks and counts it exactly once, with its
//! duration, in pingora's `logging` hook ([`record_request`]); [`upstream_response`] and
//! [`upstream_error`] likewise. Store latency comes from the timing wrappers in
//! [`super::timed`]. The process collector adds CPU, memory and file descriptors.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{
    Encoder as _, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec,
    Opts, Registry, TextEncoder,
};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use super::fields::EventFields;

/// What the proxy did with one request, for `mfa_gateway_requests_total{outcome}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// Forwarded untouched (no upstream session involved, or a public path).
    Passed,
    /// Carried an upstream session bound to a passed MFA: forwarded.
    Bound,
    /// A successful login held for MFA (answered `303 /_mfa/`).
    Intercepted,
    /// Carried an upstream session without a valid binding: the cookie was stripped.
    Stripped,
    /// Answered by the gateway's own pages or JSON API under `/_mfa/`.
    Portal,
    /// Refused at the edge before any routing (methods, framing, oversized heads: 400 / 431).
    Refused,
    /// Ended by an error before the gateway decided anything about it.
    Failed,
}

impl RequestOutcome {
    /// Every outcome, in label order.
    pub const ALL: [RequestOutcome; 7] = [
        RequestOutcome::Passed,
        RequestOutcome::Bound,
        RequestOutcome::Intercepted,
        RequestOutcome::Stripped,
        RequestOutcome::Portal,
        RequestOutcome::Refused,
        RequestOutcome::Failed,
    ];

    /// The `outcome` label value.
    pub fn label(self) -> &'static str {
        match self {
            RequestOutcome::Passed => "passed",
            RequestOutcome::Bound => "bound",
            RequestOutcome::Intercepted => "intercepted",
            RequestOutcome::Stripped => "stripped",
            RequestOutcome::Portal => "portal",
            RequestOutcome::Refused => "refused",
            RequestOutcome::Failed => "failed",
        }
    }
}

/// Which store a latency or error belongs to (`store` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Durable,
    Ephemeral,
}

impl StoreKind {
    fn label(self) -> &'static str {
        match self {
            StoreKind::Durable => "durable",
            StoreKind::Ephemeral => "ephemeral",
        }
    }
}

/// Store call latency buckets (seconds): sub-millisecond memory hits up to slow remote calls.
const STORE_BUCKETS: &[f64] = &[
    0.000_1, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Request and upstream latency buckets (seconds): a proxied page in a millisecond up to a slow
/// legacy page or a login with its store calls.
const REQUEST_BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The gateway's metrics and the registry they are exposed from.
pub struct Metrics {
    registry: Registry,
    /// Indexed like [`RequestOutcome::ALL`], resolved once so the hot path is one atomic add.
    requests: [IntCounter; 7],
    /// Indexed like [`RequestOutcome::ALL`]: duration from the request head to the end of the
    /// answer.
    request_seconds: [Histogram; 7],
    /// From the upstream request sent to the upstream answer's head.
    upstream_seconds: Histogram,
    upstream_errors: IntCounter,
    logins_intercepted: IntCounter,
    verifications: IntCounterVec,
    codes_sent: IntCounterVec,
    lockouts: IntCounter,
    trusted_logins: IntCounter,
    enrollments_started: IntCounterVec,
    enrollments: IntCounterVec,
    store_errors: IntCounterVec,
    store_seconds: HistogramVec,
    support_actions: IntCounterVec,
    events: IntCounterVec,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    // Every name and label below is a fixed, valid literal registered exactly once, so this
    // cannot fail at run time; `building_the_registry_succeeds` proves it.
    Metrics::new().expect("static metric definitions are valid")
});

/// The process-wide metrics.
pub fn global() -> &'static Metrics {
    &METRICS
}

/// Counts one request by what the gateway did with it, and how long it took (called once per
/// request, from the proxy's `logging` hook; a counter and a histogram, no lookup).
pub fn record_request(outcome: RequestOutcome, elapsed: Duration) {
    let metrics = global();
    metrics.requests[outcome as usize].inc();
    metrics.request_seconds[outcome as usize].observe(elapsed.as_secs_f64());
}

/// Records how long the upstream took to answer with a head.
pub fn upstream_response(elapsed: Duration) {
    global().upstream_seconds.observe(elapsed.as_secs_f64());
}

/// Counts one failure to reach or read from the upstream site.
pub fn upstream_error() {
    global().upstream_errors.inc();
}

/// Records the duration of one store call and whether it failed.
pub fn observe_store(store: StoreKind, operation: &'static str, elapsed: Duration, failed: bool) {
    let metrics = global();
    metrics
        .store_seconds
        .with_label_values(&[store.label(), operation])
        .observe(elapsed.as_secs_f64());
    if failed {
        metrics
            .store_errors
            .with_label_values(&[store.label()])
            .inc();
    }
}

/// The Prometheus text exposition of every metric.
pub fn render() -> Result<String, prometheus::Error> {
    let mut out = Vec::new();
    TextEncoder::new().encode(&global().registry.gather(), &mut out)?;
    String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
}

/// Content type of [`render`]'s output.
pub const CONTENT_TYPE: &str = prometheus::TEXT_FORMAT;

fn counter(registry: &Registry, name: &str, help: &str) -> prometheus::Result<IntCounter> {
    let counter = IntCounter::with_opts(Opts::new(name, help))?;
    registry.register(Box::new(counter.clone()))?;
    Ok(counter)
}

fn counter_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    let counter = IntCounterVec::new(Opts::new(name, help), labels)?;
    registry.register(Box::new(counter.clone()))?;
    Ok(counter)
}

impl Metrics {
    fn new() -> prometheus::Result<Metrics> {
        let registry = Registry::new();
        let r = &registry;
        let requests_vec = counter_vec(
            r,
            "mfa_gateway_requests_total",
            "Requests through the public listener by what the gateway did with them.",
            &["outcome"],
        )?;
        let requests = RequestOutcome::ALL.map(|o| requests_vec.with_label_values(&[o.label()]));
        let request_seconds_vec = HistogramVec::new(
            HistogramOpts::new(
                "mfa_gateway_request_duration_seconds",
                "Time from a request's head to the end of its answer, by outcome.",
            )
            .buckets(REQUEST_BUCKETS.to_vec()),
            &["outcome"],
        )?;
        registry.register(Box::new(request_seconds_vec.clone()))?;
        let request_seconds =
            RequestOutcome::ALL.map(|o| request_seconds_vec.with_label_values(&[o.label()]));
        let upstream_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "mfa_gateway_upstream_response_seconds",
                "Time from sending a request upstream to the upstream answer's head.",
            )
            .buckets(REQUEST_BUCKETS.to_vec()),
        )?;
        registry.register(Box::new(upstream_seconds.clone()))?;
        let build_info = IntGaugeVec::new(
            Opts::new(
                "mfa_gateway_build_info",
                "Always 1; the labels say which build is running.",
            ),
            &["version"],
        )?;
        registry.register(Box::new(build_info.clone()))?;
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        // CPU seconds, resident memory, open and maximum file descriptors, start time.
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        let store_seconds = HistogramVec::new(
            HistogramOpts::new(
                "mfa_gateway_store_seconds",
                "Duration of durable and ephemeral store calls.",
            )
            .buckets(STORE_BUCKETS.to_vec()),
            &["store", "operation"],
        )?;
        registry.register(Box::new(store_seconds.clone()))?;
        Ok(Metrics {
            requests,
            request_seconds,
            upstream_seconds,
            upstream_errors: counter(
                r,
                "mfa_gateway_upstream_errors_total",
                "Failures to reach or read from the upstream site.",
            )?,
            logins_intercepted: counter(
                r,
                "mfa_gateway_logins_intercepted_total",
                "Successful upstream logins held for MFA.",
            )?,
            verifications: counter_vec(
                r,
                "mfa_gateway_verifications_total",
                "Code verifications by method, stage (setup: the code confirming a set-up; \
                 challenge: an enrolled member's code) and result.",
                &["method", "stage", "result"],
            )?,
            codes_sent: counter_vec(
                r,
                "mfa_gateway_codes_sent_total",
                "Emailed or texted codes by method and delivery result.",
                &["method", "result"],
            )?,
            lockouts: counter(
                r,
                "mfa_gateway_lockouts_total",
                "Times a member was locked (backoff or until support unlocks).",
            )?,
            trusted_logins: counter(
                r,
                "mfa_gateway_trusted_logins_total",
                "Logins passed by a valid trust cookie.",
            )?,
            enrollments_started: counter_vec(
                r,
                "mfa_gateway_enrollments_started_total",
                "Set-ups started by method.",
                &["method"],
            )?,
            enrollments: counter_vec(
                r,
                "mfa_gateway_enrollments_total",
                "Set-ups completed by method.",
                &["method"],
            )?,
            store_errors: counter_vec(
                r,
                "mfa_gateway_store_errors_total",
                "Failed store calls.",
                &["store"],
            )?,
            store_seconds,
            support_actions: counter_vec(
                r,
                "mfa_gateway_support_actions_total",
                "Support and key actions (reset, forget-devices, unlock, reseal).",
                &["action"],
            )?,
            events: counter_vec(
                r,
                "mfa_gateway_events_total",
                "Every audited event by name.",
                &["event"],
            )?,
            registry,
        })
    }

    /// Counts one structured event (no-op for events without an `event` field).
    pub fn count_event(&self, fields: &EventFields) {
        let Some(event) = fields.event_name() else {
            return;
        };
        let method = || method_label(fields.text("method"));
        let stage = || stage_label(fields.text("stage"));
        match event {
            "login_intercepted" => self.logins_intercepted.inc(),
            "verify_succeeded" => self
                .verifications
                .with_label_values(&[method(), stage(), "success"])
                .inc(),
            "verify_failed" => self
                .verifications
                .with_label_values(&[method(), stage(), "failure"])
                .inc(),
            "code_sent" => self.codes_sent.with_label_values(&[method(), "sent"]).inc(),
            "code_send_failed" => self
                .codes_sent
                .with_label_values(&[method(), "failed"])
                .inc(),
            "member_locked" => self.lockouts.inc(),
            "trust_cookie_used" => self.trusted_logins.inc(),
            "enrollment_started" => self
                .enrollments_started
                .with_label_values(&[method()])
                .inc(),
            "enrollment_completed" => {
                self.enrollments.with_label_values(&[method()]).inc();
                // Its confirming code was a successful verification, as a wrong one is a
                // failed one (`verify_failed` with stage setup).
                self.verifications
                    .with_label_values(&[method(), stage(), "success"])
                    .inc();
            }
            "support_action" => self
                .support_actions
                .with_label_values(&[bounded_label(fields.text("action"))])
                .inc(),
            _ => {}
        }
        self.events
            .with_label_values(&[bounded_label(Some(event))])
            .inc();
    }
}

/// `method` label: one of the known methods, so a bad field value cannot add series.
fn method_label(method: Option<&str>) -> &'static str {
    match method {
        Some("app") => "app",
        Some("email") => "email",
        Some("text") => "text",
        _ => "unknown",
    }
}

/// `stage` label: setup or challenge, so a bad field value cannot add series.
fn stage_label(stage: Option<&str>) -> &'static str {
    match stage {
        Some("setup") => "setup",
        Some("challenge") => "challenge",
        _ => "unknown",
    }
}

/// Event and action names come from the code, but a label must never grow without bound:
/// anything that is not a short snake_case word is counted as `other`.
fn bounded_label(value: Option<&str>) -> &str {
    match value {
        Some(v)
            if !v.is_empty()
                && v.len() <= 48
                && v.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                }) =>
        {
            v
        }
        _ => "other",
    }
}

/// A `tracing` layer counting every event that carries an `event` field into [`global`].
#[derive(Debug, Default, Clone, Copy)]
pub struct MetricsLayer;

impl<S: Subscriber> Layer<S> for MetricsLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = EventFields::default();
        event.record(&mut fields);
        global().count_event(&fields);
    }
}

#[cfg(test)]
mod tests;
