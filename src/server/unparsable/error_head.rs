//! Recognising pingora's own error head in a write, and reading the (possibly malformed)
//! request prefix tolerantly to choose between HTML and JSON.

/// The longest write recognised as pingora's error head (it is about 150 bytes).
const MAX_ERROR_HEAD: usize = 512;

/// pingora's own error head, recognised in a write.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ErrorHead<'a> {
    /// 400 or 405.
    pub(super) status: u16,
    /// Its `Date` line (without CRLF), reused in the answer.
    pub(super) date: Option<&'a [u8]>,
}

impl<'a> ErrorHead<'a> {
    /// `Some` only for a write that is exactly the head `respond_error(400 | 405)` produces:
    /// the status line, then only `Server: Pingora`, `Date`, `Content-Length: 0`,
    /// `Cache-Control` and `Connection: close` (in any order), then the blank line. Anything
    /// else (every response the gateway or the upstream makes) is passed through untouched.
    #[inline]
    pub(super) fn recognise(buf: &'a [u8]) -> Option<ErrorHead<'a>> {
        // The hot path ends here for every other write: a normal head differs in the status.
        if buf.len() < 16 || !buf.starts_with(b"HTTP/1.") || &buf[9..11] != b"40" {
            return None;
        }
        Self::recognise_cold(buf)
    }

    #[cold]
    fn recognise_cold(buf: &'a [u8]) -> Option<ErrorHead<'a>> {
        if buf.len() > MAX_ERROR_HEAD
            || !matches!(buf[7], b'0' | b'1')
            || buf[8] != b' '
            || buf[12] != b' '
            || !buf.ends_with(b"\r\n\r\n")
        {
            return None;
        }
        let status = match &buf[9..12] {
            b"400" => 400,
            b"405" => 405,
            _ => return None,
        };
        let (mut server, mut empty, mut close, mut date) = (false, false, false, None);
        // Every line ends in CRLF; the last CRLF is the blank line.
        let mut lines = buf[..buf.len() - 2].split(|&b| b == b'\n');
        let status_line = lines.next()?;
        if !status_line.ends_with(b"\r") {
            return None;
        }
        for line in lines {
            if line.is_empty() {
                continue; // after the final LF
            }
            let line = line.strip_suffix(b"\r")?;
            let colon = line.iter().position(|&b| b == b':')?;
            let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
            if name.eq_ignore_ascii_case(b"server") {
                server = value.eq_ignore_ascii_case(b"pingora");
            } else if name.eq_ignore_ascii_case(b"content-length") {
                empty = value == b"0";
            } else if name.eq_ignore_ascii_case(b"connection") {
                close = value.eq_ignore_ascii_case(b"close");
            } else if name.eq_ignore_ascii_case(b"date") {
                date = Some(line).filter(|l| l.len() <= 64);
            } else if !name.eq_ignore_ascii_case(b"cache-control") {
                return None;
            }
        }
        (server && empty && close).then_some(ErrorHead { status, date })
    }
}

/// What a (possibly malformed) request head says about the client, read tolerantly.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct RequestPrefix<'a> {
    /// The target's path (of an origin or absolute form), as sent.
    pub(super) path: &'a str,
    /// The first readable `Accept` value.
    pub(super) accept: Option<&'a str>,
    /// The first readable `X-Requested-With` value.
    pub(super) requested_with: Option<&'a str>,
    /// The method is `HEAD` (the answer then has no body).
    pub(super) head: bool,
}

impl<'a> RequestPrefix<'a> {
    /// Reads what it can of `prefix`; anything unreadable is left out.
    pub(super) fn read(prefix: &'a [u8]) -> RequestPrefix<'a> {
        let text = |b: &'a [u8]| std::str::from_utf8(b.trim_ascii()).ok();
        let mut out = RequestPrefix::default();
        let mut lines = prefix.split(|&b| b == b'\n');
        let Some(request_line) = lines.next() else {
            return out;
        };
        let mut words = request_line
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty());
        out.head = words.next() == Some(b"HEAD");
        let target = words.next().and_then(text).unwrap_or_default();
        // Origin form, or the path of an absolute form.
        out.path = match target.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
            None => target,
        };
        for line in lines {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                break; // end of the head
            }
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let name = line[..colon].trim_ascii();
            let value = &line[colon + 1..];
            if out.accept.is_none() && name.eq_ignore_ascii_case(b"accept") {
                out.accept = text(value);
            } else if out.requested_with.is_none() && name.eq_ignore_ascii_case(b"x-requested-with")
            {
                out.requested_with = text(value);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pingoras_exact_head_is_recognised() {
        let base = "HTTP/1.1 400 Bad Request\r\nServer: Pingora\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
                    Content-Length: 0\r\nCache-Control: private, no-store\r\nConnection: close\r\n\r\n";
        assert!(ErrorHead::recognise(base.as_bytes()).is_some());
        for other in [
            base.replace("Pingora", "nginx"),
            base.replace("Content-Length: 0", "Content-Length: 5"),
            base.replace("close", "keep-alive"),
            base.replace("400 Bad Request", "404 Not Found"),
            base.replace("400 Bad Request", "200 OK"),
            base.replace("\r\n\r\n", "\r\nX-Extra: 1\r\n\r\n"),
            format!("{base}body"),
            base.trim_end().to_string(),
        ] {
            assert!(ErrorHead::recognise(other.as_bytes()).is_none(), "{other}");
        }
    }

    #[test]
    fn request_prefix_is_read_tolerantly() {
        let p = RequestPrefix::read(
            b"POST /_mfa/api/verify HTTP/1.1\r\nHost : x\r\nX-A: 1\r\n  fold\r\naccept: application/json\r\n",
        );
        assert_eq!(p.path, "/_mfa/api/verify");
        assert_eq!(p.accept, Some("application/json"));
        assert!(!p.head);
        let p = RequestPrefix::read(
            b"HEAD http://host/api/x?y HTTP/1.1\nX-Requested-With: XMLHttpRequest\n\nAccept: nope",
        );
        assert_eq!(p.path, "/api/x?y");
        assert_eq!(p.requested_with, Some("XMLHttpRequest"));
        assert_eq!(p.accept, None);
        assert!(p.head);
        assert_eq!(
            RequestPrefix::read(b"\x00 \xff\xfe /x"),
            RequestPrefix::default()
        );
        assert_eq!(RequestPrefix::read(b""), RequestPrefix::default());
    }
}
