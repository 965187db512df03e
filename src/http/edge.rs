//! The strict edge: before any routing decision a request is canonical or refused, and an
//! upstream answer is unambiguous or never returned (DESIGN.md, "The edge").
//!
//! The gateway is only as safe as its agreement with the legacy app about what a request *is*.
//! A method spelling the gateway does not recognise as the login POST (`post`) but the app
//! upper-cases, or a `Content-Length` the two read differently (`74, 74`), lets a request past
//! every later check. So everything here is refused rather than repaired: RFC 9110 §9.1 makes
//! methods case-sensitive tokens, RFC 9112 §6 and RFC 9110 §8.6 make framing with several
//! lengths, non-chunked transfer codings, or both headers at once an unrecoverable error, and
//! RFC 9112 §5.2 deprecates obs-fold. pingora's parser already refuses most malformed heads
//! (see `crate::server::unparsable` for how those answers are branded); these functions cover
//! what it accepts or repairs silently: identical `Content-Length` lists, bare-LF line ends,
//! `Transfer-Encoding` together with `Content-Length` (pingora drops the length and reads the
//! chunks, but the app behind may not), and the same ambiguities in upstream answers.

use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, Method};

/// Why a request or an upstream answer was refused (the `reason` of the audit line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A method that is not one of the deployment's allowed, upper-case methods.
    Method,
    /// More than one `Content-Length`, a list, or a value that is not plain digits.
    ContentLength,
    /// `Transfer-Encoding` other than exactly one `chunked`.
    TransferEncoding,
    /// `Transfer-Encoding` and `Content-Length` together.
    FramingConflict,
    /// Bare CR or LF, NUL, obs-fold or whitespace before a colon in the head.
    HeaderSyntax,
    /// A request line that is not `METHOD SP /origin-form SP HTTP/1.x` (extra spaces, an
    /// absolute-form or otherwise non-path target), or not exactly one `Host` on HTTP/1.1.
    RequestLine,
}

impl Refusal {
    /// Short snake_case name for logs and metrics.
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Method => "method",
            Refusal::ContentLength => "content_length",
            Refusal::TransferEncoding => "transfer_encoding",
            Refusal::FramingConflict => "transfer_encoding_with_content_length",
            Refusal::HeaderSyntax => "header_syntax",
            Refusal::RequestLine => "request_line",
        }
    }
}

/// The method must be one of `allowed`, compared exactly (so `post` and `Post` are refused).
pub fn check_method(method: &Method, allowed: &[Method]) -> Result<(), Refusal> {
    if allowed.contains(method) {
        Ok(())
    } else {
        Err(Refusal::Method)
    }
}

/// Framing of a request head as pingora parsed it. `raw_head` (the bytes as received) is
/// consulted only when `Transfer-Encoding` is present, because pingora removes a
/// `Content-Length` sent beside it before any hook sees the head.
pub fn check_request_framing(headers: &HeaderMap, raw_head: Option<&[u8]>) -> Result<(), Refusal> {
    check_content_length(headers)?;
    if headers.contains_key(TRANSFER_ENCODING) {
        check_transfer_encoding(headers)?;
        if headers.contains_key(CONTENT_LENGTH) || raw_head.is_some_and(has_content_length_line) {
            return Err(Refusal::FramingConflict);
        }
    }
    Ok(())
}

/// Framing and values of an upstream answer: an answer the client could read differently
/// from the gateway is never returned (and its connection is not pooled).
pub fn check_response(headers: &HeaderMap) -> Result<(), Refusal> {
    check_content_length(headers)?;
    if headers.contains_key(TRANSFER_ENCODING) {
        check_transfer_encoding(headers)?;
        if headers.contains_key(CONTENT_LENGTH) {
            return Err(Refusal::FramingConflict);
        }
    }
    // pingora replaces an obs-fold in an answer by spaces; a CR, LF or NUL left in a value
    // would be a parser change, so it is checked rather than assumed.
    let folded = headers
        .values()
        .any(|v| memchr::memchr3(b'\r', b'\n', 0, v.as_bytes()).is_some());
    if folded {
        return Err(Refusal::HeaderSyntax);
    }
    Ok(())
}

/// The raw request head (request line, header lines, blank line) must use CRLF line ends
/// only, carry no NUL, no folded lines and no whitespace between a field name and its colon.
/// pingora's parser refuses most of these itself; bare LF line ends it accepts.
pub fn check_raw_head(raw: &[u8]) -> Result<(), Refusal> {
    if memchr::memchr(0, raw).is_some() {
        return Err(Refusal::HeaderSyntax);
    }
    let mut line_start = 0;
    for lf in memchr::memchr_iter(b'\n', raw) {
        if lf == 0 || raw[lf - 1] != b'\r' {
            return Err(Refusal::HeaderSyntax);
        }
        let line = &raw[line_start..lf - 1];
        if line_start > 0 && !line.is_empty() && !header_line_ok(line) {
            return Err(Refusal::HeaderSyntax);
        }
        line_start = lf + 1;
    }
    // A CR anywhere but before an LF.
    let bare_cr = memchr::memchr_iter(b'\r', raw).any(|cr| raw.get(cr + 1) != Some(&b'\n'));
    if bare_cr {
        return Err(Refusal::HeaderSyntax);
    }
    let line_end = memchr::memchr(b'\r', raw).unwrap_or(raw.len());
    check_request_line(&raw[..line_end])
}

/// `METHOD SP target SP HTTP/x.y` with single spaces, and a target that is a path (origin
/// form) or `*`. pingora's parser tolerates more (a second space becomes part of the target as
/// `%20/path`; absolute-form `http://host/path`), and servers behind it read those differently
/// from each other (Tomcat keeps `%20/home` and serves `/home` for some spellings, PHP accepts
/// an absolute-form target naming another host), so only the one unambiguous form passes.
fn check_request_line(line: &[u8]) -> Result<(), Refusal> {
    let mut parts = line.split(|b| *b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::RequestLine);
    };
    let target_ok = target.first() == Some(&b'/') || (target == b"*" && method == b"OPTIONS");
    if method.is_empty() || !target_ok || !version.starts_with(b"HTTP/") {
        return Err(Refusal::RequestLine);
    }
    Ok(())
}

/// HTTP/1.1 requests carry exactly one `Host` (RFC 9112 §3.2); HTTP/1.0 at most one. HTTP/2
/// requests are checked against their `:authority` instead ([`super::h2_host`]).
pub fn check_host(headers: &HeaderMap, version: http::Version) -> Result<(), Refusal> {
    let count = headers.get_all(http::header::HOST).iter().count();
    match (count, version) {
        (1, _) | (0, http::Version::HTTP_10) | (_, http::Version::HTTP_2) => Ok(()),
        _ => Err(Refusal::RequestLine),
    }
}

/// A header line starts with a name and has no whitespace before its colon.
fn header_line_ok(line: &[u8]) -> bool {
    if matches!(line.first(), Some(b' ' | b'\t')) {
        return false; // obs-fold
    }
    match memchr::memchr(b':', line) {
        Some(colon) => colon > 0 && !matches!(line[colon - 1], b' ' | b'\t'),
        None => false,
    }
}

/// At most one `Content-Length` field, and its value plain digits (no list, sign or space).
fn check_content_length(headers: &HeaderMap) -> Result<(), Refusal> {
    let mut values = headers.get_all(CONTENT_LENGTH).iter();
    let Some(first) = values.next() else {
        return Ok(());
    };
    let digits = first.as_bytes();
    let plain = !digits.is_empty() && digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit);
    if values.next().is_some() || !plain {
        return Err(Refusal::ContentLength);
    }
    Ok(())
}

/// Exactly one `Transfer-Encoding` field whose whole value is `chunked`.
fn check_transfer_encoding(headers: &HeaderMap) -> Result<(), Refusal> {
    let mut values = headers.get_all(TRANSFER_ENCODING).iter();
    let single = values.next().filter(|_| values.next().is_none());
    match single {
        Some(v) if v.as_bytes().trim_ascii().eq_ignore_ascii_case(b"chunked") => Ok(()),
        _ => Err(Refusal::TransferEncoding),
    }
}

/// True when a raw head has a `Content-Length` field line (any case).
fn has_content_length_line(raw: &[u8]) -> bool {
    const NAME: &[u8] = b"content-length";
    raw.split(|b| *b == b'\n').skip(1).any(|line| {
        line.len() > NAME.len() && line[..NAME.len()].eq_ignore_ascii_case(NAME) && {
            let rest = line[NAME.len()..].trim_ascii_start();
            rest.first() == Some(&b':')
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn methods_are_exact_tokens() {
        let allowed = [Method::GET, Method::POST];
        assert_eq!(check_method(&Method::POST, &allowed), Ok(()));
        for spelling in ["post", "Post", "pOST", "PUT", "TRACE"] {
            let method = Method::from_bytes(spelling.as_bytes()).unwrap();
            assert_eq!(
                check_method(&method, &allowed),
                Err(Refusal::Method),
                "{spelling}"
            );
        }
    }

    #[test]
    fn content_length_must_be_one_plain_number() {
        assert_eq!(
            check_request_framing(&headers(&[("content-length", "74")]), None),
            Ok(())
        );
        for bad in [
            &[("content-length", "74, 74")][..],
            &[("content-length", "74"), ("content-length", "74")],
            &[("content-length", "+74")],
            &[("content-length", "0x4a")],
            &[("content-length", "")],
        ] {
            assert_eq!(
                check_request_framing(&headers(bad), None),
                Err(Refusal::ContentLength),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn transfer_encoding_must_be_exactly_chunked_and_alone() {
        assert_eq!(
            check_request_framing(&headers(&[("transfer-encoding", "chunked")]), None),
            Ok(())
        );
        assert_eq!(
            check_request_framing(&headers(&[("transfer-encoding", "Chunked")]), None),
            Ok(())
        );
        for bad in ["gzip, chunked", "chunked, chunked", "identity", "chunked;x"] {
            assert_eq!(
                check_request_framing(&headers(&[("transfer-encoding", bad)]), None),
                Err(Refusal::TransferEncoding),
                "{bad}"
            );
        }
        let both = headers(&[("transfer-encoding", "chunked"), ("content-length", "5")]);
        assert_eq!(
            check_request_framing(&both, None),
            Err(Refusal::FramingConflict)
        );
        // pingora removed the length: the raw head still shows it.
        let raw = b"POST / HTTP/1.1\r\nContent-Length : 5\r\nTransfer-Encoding: chunked\r\n\r\n";
        let te = headers(&[("transfer-encoding", "chunked")]);
        assert_eq!(
            check_request_framing(&te, Some(raw)),
            Err(Refusal::FramingConflict)
        );
        let raw = b"POST / HTTP/1.1\r\nX-Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(check_request_framing(&te, Some(raw)), Ok(()));
    }

    #[test]
    fn raw_heads_with_odd_line_structure_are_refused() {
        assert_eq!(
            check_raw_head(b"GET / HTTP/1.1\r\nHost: a\r\nX: y z\r\n\r\n"),
            Ok(())
        );
        for bad in [
            &b"GET / HTTP/1.1\nHost: a\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: a\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\n x\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\0\r\n\r\n",
        ] {
            assert_eq!(
                check_raw_head(bad),
                Err(Refusal::HeaderSyntax),
                "{}",
                bad.escape_ascii()
            );
        }
        for bad in [
            &b"POST  /login HTTP/1.1\r\nHost: a\r\n\r\n"[..],
            b"POST /login  HTTP/1.1\r\nHost: a\r\n\r\n",
            b"POST http://127.0.0.1/login HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET login HTTP/1.1\r\nHost: a\r\n\r\n",
        ] {
            assert_eq!(
                check_raw_head(bad),
                Err(Refusal::RequestLine),
                "{}",
                bad.escape_ascii()
            );
        }
        assert_eq!(
            check_raw_head(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"),
            Ok(())
        );
    }

    #[test]
    fn http11_needs_exactly_one_host() {
        use http::Version;
        let one = headers(&[("host", "a")]);
        assert_eq!(check_host(&one, Version::HTTP_11), Ok(()));
        assert_eq!(check_host(&HeaderMap::new(), Version::HTTP_10), Ok(()));
        assert_eq!(
            check_host(&HeaderMap::new(), Version::HTTP_11),
            Err(Refusal::RequestLine)
        );
        let two = headers(&[("host", "a"), ("host", "b")]);
        assert_eq!(
            check_host(&two, Version::HTTP_10),
            Err(Refusal::RequestLine)
        );
    }

    #[test]
    fn ambiguous_answers_are_refused() {
        assert_eq!(check_response(&headers(&[("content-length", "5")])), Ok(()));
        assert_eq!(
            check_response(&headers(&[("content-length", "5, 5")])),
            Err(Refusal::ContentLength)
        );
        assert_eq!(
            check_response(&headers(&[("transfer-encoding", "gzip")])),
            Err(Refusal::TransferEncoding)
        );
        // A folded value (pingora keeps the fold in it) cannot be built through `http`'s
        // checked constructors; tests/edge_framing.rs sends one from a real upstream.
    }
}
