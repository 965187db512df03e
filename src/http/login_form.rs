//! Reads the username out of a login form body while it streams to the upstream.
//!
//! The body is never held back or buffered whole: chunks are scanned as they pass and only the
//! key being read and the value of the username field are kept (both bounded). A form that is
//! larger than the limit, malformed, or names the field twice yields no username, and the
//! caller then fails closed: a login whose member is unknown is never released.

/// Longest field name kept while looking for the username field.
const MAX_KEY_BYTES: usize = 256;
/// Longest username accepted (encoded form).
const MAX_VALUE_BYTES: usize = 1024;

/// Why no username could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtractError {
    /// The field is absent.
    Missing,
    /// The field appears more than once: frameworks disagree on which one wins, so the gateway
    /// would risk verifying a different member than the one the legacy app logs in.
    Duplicate,
    /// The body exceeds the configured limit.
    TooLarge,
    /// The value is not valid percent-encoded UTF-8 or is too long.
    Malformed,
    /// The body is not `application/x-www-form-urlencoded`.
    UnsupportedContentType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Key,
    Value { wanted: bool },
    SkipKey,
}

/// Incremental extractor of one form field.
#[derive(Debug, Clone)]
pub struct FormFieldExtractor {
    field: Vec<u8>,
    max_body: usize,
    seen: usize,
    state: State,
    key: Vec<u8>,
    value: Vec<u8>,
    found: Option<Vec<u8>>,
    error: Option<ExtractError>,
}

impl FormFieldExtractor {
    /// Looks for `field` in a body of at most `max_body` bytes.
    pub fn new(field: &str, max_body: usize) -> Self {
        FormFieldExtractor {
            field: field.as_bytes().to_vec(),
            max_body,
            seen: 0,
            state: State::Key,
            key: Vec::new(),
            value: Vec::new(),
            found: None,
            error: None,
        }
    }

    /// An extractor that already failed (e.g. a content type it cannot read).
    pub fn failed(error: ExtractError) -> Self {
        let mut x = FormFieldExtractor::new("", 0);
        x.error = Some(error);
        x
    }

    /// Feeds the next chunk of the body.
    pub fn feed(&mut self, chunk: &[u8]) {
        // A content type the extractor cannot read stays the answer whatever follows.
        if self.error == Some(ExtractError::UnsupportedContentType) {
            return;
        }
        // Counted even after another error, and `TooLarge` replaces it: otherwise where the
        // chunk boundaries fell would decide which error a body gets (fuzzing found a duplicate
        // field reported as `Duplicate` in one chunking and `TooLarge` in another).
        self.seen = self.seen.saturating_add(chunk.len());
        if self.seen > self.max_body {
            self.error = Some(ExtractError::TooLarge);
            return;
        }
        if self.error.is_some() {
            return;
        }
        for &byte in chunk {
            match (self.state, byte) {
                (_, b'&') => self.end_field(),
                (State::Key, b'=') => {
                    let wanted =
                        decode(&self.key).is_some_and(|k| k.as_bytes() == self.field.as_slice());
                    self.state = State::Value { wanted };
                    self.key.clear();
                }
                (State::Key, b) => {
                    if self.key.len() < MAX_KEY_BYTES {
                        self.key.push(b);
                    } else {
                        // A key this long cannot be the username field; skip it cheaply.
                        self.state = State::SkipKey;
                        self.key.clear();
                    }
                }
                (State::SkipKey, _) => {}
                (State::Value { wanted: true }, b) => {
                    if self.value.len() < MAX_VALUE_BYTES {
                        self.value.push(b);
                    } else {
                        self.error = Some(ExtractError::Malformed);
                        return;
                    }
                }
                (State::Value { wanted: false }, _) => {}
            }
        }
    }

    fn end_field(&mut self) {
        if let State::Value { wanted: true } = self.state {
            if self.found.is_some() {
                self.error = Some(ExtractError::Duplicate);
            } else {
                self.found = Some(std::mem::take(&mut self.value));
            }
        } else if self.state == State::Key && !self.key.is_empty() {
            // `username` without `=`: treat as the field with an empty value.
            if decode(&self.key).is_some_and(|k| k.as_bytes() == self.field.as_slice()) {
                if self.found.is_some() {
                    self.error = Some(ExtractError::Duplicate);
                } else {
                    self.found = Some(Vec::new());
                }
            }
        }
        self.key.clear();
        self.value.clear();
        self.state = State::Key;
    }

    /// Finishes the body and returns the decoded username.
    pub fn finish(mut self) -> Result<String, ExtractError> {
        if self.error.is_none() {
            self.end_field();
        }
        if let Some(error) = self.error {
            return Err(error);
        }
        let raw = self.found.ok_or(ExtractError::Missing)?;
        let value = decode(&raw).ok_or(ExtractError::Malformed)?;
        if value.trim().is_empty() {
            return Err(ExtractError::Missing);
        }
        if value.chars().any(char::is_control) {
            return Err(ExtractError::Malformed);
        }
        Ok(value)
    }
}

/// Decodes one form-urlencoded component (`+` is a space); `None` if not UTF-8.
fn decode(raw: &[u8]) -> Option<String> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&plus_as_space)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// True when a `Content-Type` value is a urlencoded form.
pub fn is_form_urlencoded(content_type: &[u8]) -> bool {
    let ct = content_type
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default();
    ct.trim_ascii()
        .eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extract(field: &str, chunks: &[&[u8]], max: usize) -> Result<String, ExtractError> {
        let mut x = FormFieldExtractor::new(field, max);
        for c in chunks {
            x.feed(c);
        }
        x.finish()
    }

    #[test]
    fn finds_field_split_across_chunks() {
        let r = extract(
            "username",
            &[b"pass", b"word=x&user", b"name=J%20D", b"oe+x&z=1"],
            1000,
        );
        assert_eq!(r.as_deref(), Ok("J Doe x"));
    }

    #[test]
    fn field_at_end_and_alone() {
        assert_eq!(extract("u", &[b"a=1&u=bob"], 100).as_deref(), Ok("bob"));
        assert_eq!(extract("u", &[b"u=bob"], 100).as_deref(), Ok("bob"));
    }

    #[test]
    fn encoded_field_name_matches() {
        assert_eq!(
            extract("user name", &[b"user+name=x"], 100).as_deref(),
            Ok("x")
        );
    }

    #[test]
    fn duplicate_field_is_refused() {
        assert_eq!(
            extract("u", &[b"u=a&u=b"], 100),
            Err(ExtractError::Duplicate)
        );
    }

    #[test]
    fn missing_empty_and_oversized() {
        assert_eq!(extract("u", &[b"a=1"], 100), Err(ExtractError::Missing));
        assert_eq!(extract("u", &[b"u=&a=1"], 100), Err(ExtractError::Missing));
        assert_eq!(
            extract("u", &[b"u=abc", b"&x=12345"], 8),
            Err(ExtractError::TooLarge)
        );
    }

    #[test]
    fn invalid_utf8_and_control_chars_are_malformed() {
        assert_eq!(
            extract("u", &[b"u=%FF%FE"], 100),
            Err(ExtractError::Malformed)
        );
        assert_eq!(
            extract("u", &[b"u=a%0Ab"], 100),
            Err(ExtractError::Malformed)
        );
    }

    #[test]
    fn prefix_of_field_name_does_not_match() {
        assert_eq!(
            extract("username", &[b"usernamex=a&xusername=b"], 100),
            Err(ExtractError::Missing)
        );
    }

    #[test]
    fn regression_fuzz_login_form_error_depends_on_chunking() {
        // A duplicate field early in an over-limit body: fed whole it is too large, and fed in
        // pieces it must be too, not `Duplicate` because that piece arrived first.
        let body = b"u=a&u=b&padding=xxxxxxxxxxxxxxxxxxxx";
        let limit = 16;
        assert_eq!(extract("u", &[body], limit), Err(ExtractError::TooLarge));
        assert_eq!(
            extract("u", &[&body[..8], &body[8..]], limit),
            Err(ExtractError::TooLarge)
        );
        // Likewise a value that is too long before the limit is reached.
        let long_value = [b"u=".as_slice(), &[b'x'; MAX_VALUE_BYTES + 1]].concat();
        let over = [long_value.as_slice(), b"&z=1"].concat();
        assert_eq!(
            extract("u", &[&long_value, b"&z=1"], long_value.len()),
            Err(ExtractError::TooLarge)
        );
        assert_eq!(
            extract("u", &[&over], long_value.len()),
            Err(ExtractError::TooLarge)
        );
        // An unreadable content type is never turned into another error by the body.
        let mut unsupported = FormFieldExtractor::failed(ExtractError::UnsupportedContentType);
        unsupported.feed(b"u=a");
        assert_eq!(
            unsupported.finish(),
            Err(ExtractError::UnsupportedContentType)
        );
    }

    #[test]
    fn content_type_check() {
        assert!(is_form_urlencoded(
            b"application/x-www-form-urlencoded; charset=UTF-8"
        ));
        assert!(!is_form_urlencoded(b"multipart/form-data; boundary=x"));
    }
}
