//! The target host of an HTTP/2 request, made to look like HTTP/1's.
//!
//! HTTP/2 names the host in the `:authority` pseudo-header (RFC 9113 §8.3.1), and browsers send
//! no `Host` field. Everything the gateway does with the host (its own links, the legacy app's
//! login relay, the identity probe) and the HTTP/1 request the legacy app receives read `Host`,
//! so an h2 request gets exactly one `Host`, equal to its authority. A request whose `Host`
//! disagrees with its authority, or that names no host at all, is ambiguous: refused, the way
//! an HTTP/1 request with two `Host` fields is.

use http::header::HOST;
use http::HeaderMap;

use super::edge::Refusal;

/// What an HTTP/2 request's `Host` needs.
#[derive(Debug, PartialEq, Eq)]
pub enum H2Host<'a> {
    /// `Host` is already the one authority (or the request is not HTTP/2).
    Fine,
    /// No `Host`: add this one (the `:authority`).
    Add(&'a str),
}

/// Checks `Host` against the `:authority` of a request of `version`.
pub fn h2_host<'a>(
    headers: &HeaderMap,
    version: http::Version,
    authority: Option<&'a str>,
) -> Result<H2Host<'a>, Refusal> {
    if version != http::Version::HTTP_2 {
        return Ok(H2Host::Fine);
    }
    let mut hosts = headers.get_all(HOST).iter();
    match (hosts.next(), hosts.next(), authority) {
        (None, _, Some(authority)) if !authority.is_empty() => Ok(H2Host::Add(authority)),
        (Some(host), None, Some(authority))
            if host.as_bytes().eq_ignore_ascii_case(authority.as_bytes()) =>
        {
            Ok(H2Host::Fine)
        }
        // RFC 9113 §8.3.1: a `Host` naming another entity than `:authority` is malformed.
        _ => Err(Refusal::RequestLine),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, Version};

    fn with_host(host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.append(HOST, HeaderValue::from_str(host).unwrap());
        headers
    }

    #[test]
    fn an_h2_request_gets_its_authority_as_host() {
        let none = HeaderMap::new();
        assert_eq!(
            h2_host(&none, Version::HTTP_2, Some("mls.example.com")),
            Ok(H2Host::Add("mls.example.com"))
        );
        assert_eq!(
            h2_host(
                &with_host("MLS.example.com"),
                Version::HTTP_2,
                Some("mls.example.com")
            ),
            Ok(H2Host::Fine)
        );
    }

    #[test]
    fn a_host_that_disagrees_or_no_host_at_all_is_refused() {
        let refused = Err(Refusal::RequestLine);
        assert_eq!(
            h2_host(
                &with_host("other.example"),
                Version::HTTP_2,
                Some("mls.example.com")
            ),
            refused
        );
        assert_eq!(h2_host(&HeaderMap::new(), Version::HTTP_2, None), refused);
        assert_eq!(
            h2_host(&with_host("mls.example.com"), Version::HTTP_2, None),
            refused
        );
        let mut two = with_host("mls.example.com");
        two.append(HOST, HeaderValue::from_static("mls.example.com"));
        assert_eq!(
            h2_host(&two, Version::HTTP_2, Some("mls.example.com")),
            refused
        );
    }

    #[test]
    fn http1_requests_are_left_to_check_host() {
        assert_eq!(
            h2_host(&HeaderMap::new(), Version::HTTP_11, None),
            Ok(H2Host::Fine)
        );
    }
}
