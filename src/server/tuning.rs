//! Per-connection sizes and pingora settings the gateway runs with, chosen from measurement
//! (docs/performance.md, "Idle connections" and "Per-request cost").
//!
//! Shared with the bare pingora floor (`examples/bare_proxy.rs`), so the load script compares
//! the gateway with a proxy that differs from it only by the gateway's own work.

use pingora::listeners::tls::TlsSettings;
use pingora::listeners::ListenerConfig;
use pingora::protocols::l4::stream::L4BufferSettings;

/// Bytes of the read buffer pingora puts under each accepted connection.
///
/// Pingora's default is 64 KiB, allocated zeroed for every connection and held for its whole
/// life: with 10 000 idle keep-alive connections that alone is ~640 MB of RSS. Plain HTTP/1
/// gains nothing from it (the HTTP/1 reader has its own 4 KiB header buffer that grows when a
/// head is larger, and bodies are read straight into their own buffers), so plaintext
/// listeners read unbuffered.
pub const PLAIN_READ_BUFFER: usize = 0;

/// Read buffer under a TLS listener: rustls asks for the record header and the record in
/// small reads, which a buffer of one TLS record (16 KiB + header) turns into one syscall.
pub const TLS_READ_BUFFER: usize = 16 * 1024 + 5;

/// Write buffer: pingora's default (one MSS), which coalesces the answer head with the start
/// of the body into one segment.
pub const WRITE_BUFFER: usize = 1460;

/// The listening endpoint at `addr`, over TLS when `tls` is given, with the buffers above.
pub fn listener(addr: &str, tls: Option<TlsSettings>) -> ListenerConfig {
    let endpoint = ListenerConfig::tcp(addr);
    match tls {
        Some(settings) => endpoint
            .tls(settings)
            .l4_buffer(L4BufferSettings::new(TLS_READ_BUFFER, WRITE_BUFFER)),
        None => endpoint.l4_buffer(L4BufferSettings::new(PLAIN_READ_BUFFER, WRITE_BUFFER)),
    }
}
