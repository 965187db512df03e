//! Reading the fields of a `tracing` event into plain values, shared by the audit log and the
//! metrics layer (both key off the `event` field the gateway puts on every security-relevant
//! event).

use std::fmt;

use tracing::field::{Field, Visit};

/// Name of the field that marks an event as security-relevant (`event = "login_intercepted"`).
pub const EVENT_FIELD: &str = "event";

/// One recorded field value, kept in its original JSON-friendly type.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(String),
    Signed(i64),
    Unsigned(u64),
    Float(f64),
    Bool(bool),
}

impl FieldValue {
    /// The value as text, if it was recorded as text (`%value`, `?value` or a `&str`).
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// Every field of one event (or span), in the order they were recorded.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct EventFields {
    pub values: Vec<(&'static str, FieldValue)>,
}

impl EventFields {
    /// The value of field `name`, if recorded.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.values
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, value)| value)
    }

    /// The text of field `name`, if it was recorded as text.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(FieldValue::as_text)
    }

    /// The `event` field: present only on security-relevant events.
    pub fn event_name(&self) -> Option<&str> {
        self.text(EVENT_FIELD)
    }

    fn push(&mut self, field: &Field, value: FieldValue) {
        self.values.push((field.name(), value));
    }
}

impl Visit for EventFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, FieldValue::Text(value.to_string()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, FieldValue::Signed(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field, FieldValue::Unsigned(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field, FieldValue::Float(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, FieldValue::Bool(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.push(field, FieldValue::Text(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `%value` arrives here wrapped so that Debug prints its Display form.
        self.push(field, FieldValue::Text(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_find_recorded_values_by_name() {
        let fields = EventFields {
            values: vec![
                ("event", FieldValue::Text("verify_failed".into())),
                ("consecutive_failures", FieldValue::Unsigned(3)),
            ],
        };
        assert_eq!(fields.event_name(), Some("verify_failed"));
        assert_eq!(
            fields.get("consecutive_failures"),
            Some(&FieldValue::Unsigned(3))
        );
        assert_eq!(fields.text("consecutive_failures"), None);
        assert_eq!(fields.get("missing"), None);
    }
}
