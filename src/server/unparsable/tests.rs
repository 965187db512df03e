//! The adapter against a real pingora HTTP/1 session: the error head it recognises is the one
//! pingora writes, and wrapped connections get the branded answer instead.

use pingora::protocols::http::ServerSession;
use pingora::protocols::Stream;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};

use super::answers::test_answers as answers;
use super::error_head::ErrorHead;
use super::EdgeStream;

/// Feeds `request` to a real pingora HTTP/1 session over `wrap(stream)`, lets it answer
/// the way `HttpProxy::handle_new_request` does, and returns everything the client got.
async fn pingora_answer(request: &[u8], wrap: bool) -> String {
    let (client, server) = tokio::io::duplex(1 << 16);
    let stream: Stream = if wrap {
        Box::new(EdgeStream::new(Box::new(server), answers()))
    } else {
        Box::new(server)
    };
    let client_task = client_round_trip(client, request.to_vec());
    let server_task = async move {
        let mut session = ServerSession::new_http1(stream);
        let status = match session.read_request().await {
            Err(_) => 400,
            Ok(_) if session.req_header().method == http::Method::CONNECT => 405,
            Ok(_) => panic!("pingora accepted {:?}", String::from_utf8_lossy(request)),
        };
        session.respond_error(status).await.unwrap();
        session.shutdown().await;
    };
    let (answer, ()) = tokio::join!(client_task, server_task);
    answer
}

async fn client_round_trip(mut client: DuplexStream, request: Vec<u8>) -> String {
    client.write_all(&request).await.unwrap();
    tokio::io::AsyncWriteExt::shutdown(&mut client)
        .await
        .unwrap();
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).await.unwrap();
    String::from_utf8(answer).unwrap()
}

#[tokio::test]
async fn pingora_error_head_is_the_one_recognised() {
    // If a pingora upgrade changes these bytes, this test fails first.
    for request in [
        &b"GET / HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n"[..],
        b"GET / HTTP/1.0\r\nHost : x\r\n\r\n",
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    ] {
        let answer = pingora_answer(request, false).await;
        let date = answer
            .lines()
            .find(|l| l.starts_with("Date: "))
            .expect("a Date line")
            .to_string();
        let status = if request.starts_with(b"CONNECT") {
            "405 Method Not Allowed"
        } else {
            "400 Bad Request"
        };
        assert_eq!(
            answer,
            format!(
                "HTTP/1.1 {status}\r\nServer: Pingora\r\n{date}\r\nContent-Length: 0\r\n\
                 Cache-Control: private, no-store\r\nConnection: close\r\n\r\n"
            )
        );
        let head = ErrorHead::recognise(answer.as_bytes()).expect("recognised");
        assert_eq!(head.date, Some(date.as_bytes()));
    }
}

#[tokio::test]
async fn pingora_error_is_replaced_by_the_branded_answer() {
    let cases: [(&[u8], &str, &str); 5] = [
        (
            b"GET /x HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n",
            "400 Bad Request",
            "<p>branded 400</p>",
        ),
        (
            b"GET /x HTTP/1.1\r\nAccept: application/json\r\nHost : x\r\n\r\n",
            "400 Bad Request",
            r#"{"error":"bad_request","message":"The request could not be read."}"#,
        ),
        (
            b"POST /api/v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n",
            "400 Bad Request",
            r#"{"error":"bad_request","message":"The request could not be read."}"#,
        ),
        (
            b"HEAD /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
            "400 Bad Request",
            "",
        ),
        (
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
            "405 Method Not Allowed",
            "<p>branded 405</p>",
        ),
    ];
    for (request, status, body) in cases {
        let answer = pingora_answer(request, true).await;
        let (head, got_body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{head}"
        );
        assert!(!answer.to_ascii_lowercase().contains("pingora"), "{answer}");
        for line in ["Cache-Control: no-store", "Connection: close", "Date: "] {
            assert!(head.contains(line), "{line} missing: {head}");
        }
        assert_eq!(got_body, body);
    }
}
