//! [`EdgeStream`], the IO adapter around every downstream HTTP/1 connection: it remembers the
//! start of the latest request, swaps pingora's error head for the branded answer, lingers
//! before the close, and delegates every pingora stream trait to the transport.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use pingora::protocols::raw_connect::ProxyDigest;
use pingora::protocols::tls::{SslDigest, TlsRef};
use pingora::protocols::{
    GetProxyDigest, GetSocketDigest, GetTimingDigest, Peek, Shutdown, SocketDigest, Ssl, Stream,
    TimingDigest, UniqueID, UniqueIDType, ALPN,
};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, ReadBuf};

use super::error_head::ErrorHead;
use super::{Answers, PREFIX_CAP};

/// After the answer: how long, and how much, to read and discard what the client still sends
/// before the socket closes (closing with unread bytes makes the kernel send a reset, which can
/// destroy the answer before the client reads it: a head over pingora's limit is rejected
/// while the client is still sending it).
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 4 << 20;

/// Where the adapter is in replacing pingora's error head.
#[derive(Debug)]
enum Replace {
    /// Passing everything through (the normal path).
    No,
    /// Writing the gateway's answer; `pos` bytes of it are out.
    Writing { out: Bytes, pos: usize },
    /// The answer is out: further writes are dropped (pingora closes the connection next).
    Done,
}

/// A downstream connection: delegates everything to the transport (TCP or TLS), remembers the
/// start of the latest request, and replaces pingora's own error head (see the module docs).
pub struct EdgeStream {
    inner: Stream,
    answers: Arc<Answers>,
    /// The first bytes read since the last write (at most [`PREFIX_CAP`]): the start of the
    /// latest request. On the heap and released while the connection is idle, so an idle
    /// keep-alive connection does not hold it.
    prefix: Vec<u8>,
    /// Bytes read while the connection was parked between requests
    /// ([`EdgeStream::poll_next_request`]), handed out by the next reads before the transport's.
    /// Empty (no allocation) except between that read and pingora's.
    replay: Vec<u8>,
    replay_pos: usize,
    /// Something was written since the last read: the next read starts a new prefix, and
    /// further writes are not the start of a response.
    wrote: bool,
    replace: Replace,
}

impl std::fmt::Debug for EdgeStream {
    // pingora logs the stream on parse errors: never the request bytes kept here.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeStream")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl EdgeStream {
    /// Wraps the accepted transport `inner`; pingora's error head is replaced by `answers`.
    pub fn new(inner: Stream, answers: Arc<Answers>) -> Self {
        EdgeStream {
            inner,
            answers,
            prefix: Vec::new(),
            replay: Vec::new(),
            replay_pos: 0,
            wrote: false,
            replace: Replace::No,
        }
    }

    #[inline]
    fn remember(&mut self, read: &[u8]) {
        if self.wrote {
            self.wrote = false;
            self.prefix.clear();
        }
        let room = PREFIX_CAP - self.prefix.len();
        if room > 0 && !read.is_empty() {
            if self.prefix.capacity() == 0 {
                self.prefix.reserve_exact(PREFIX_CAP);
            }
            self.prefix.extend_from_slice(&read[..room.min(read.len())]);
        }
    }

    /// Waits, holding no buffer, until the client sends the first bytes of its next request;
    /// `Ready(Ok(false))` when it closed the connection instead.
    ///
    /// The keep-alive loop ([`crate::server::keepalive`]) parks an idle connection here rather
    /// than in pingora's request reader, whose per-request state (the boxed request future,
    /// the session, its header buffer) would otherwise live as long as the connection idles.
    /// The bytes read are kept in `replay` for pingora's first read: one read syscall, as
    /// before, plus one copy of the bytes that arrived.
    pub fn poll_next_request(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        if self.replay_pos < self.replay.len() {
            return Poll::Ready(Ok(true));
        }
        // Nothing of the last request is needed any more: give its memory back while idle.
        self.prefix = Vec::new();
        // A stack buffer: nothing is held while the read is pending. 4 KiB holds the whole
        // head of a typical request (pingora reads the rest, if any, from the socket). Left
        // uninitialised: zeroing it on every poll was a third of this wait's cost.
        let mut landing = [std::mem::MaybeUninit::<u8>::uninit(); 4096];
        let mut buf = ReadBuf::uninit(&mut landing);
        match Pin::new(&mut self.inner).poll_read(cx, &mut buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) if buf.filled().is_empty() => Poll::Ready(Ok(false)),
            Poll::Ready(Ok(())) => {
                self.replay = buf.filled().to_vec();
                self.replay_pos = 0;
                Poll::Ready(Ok(true))
            }
        }
    }

    /// Writes out the rest of the replacement answer, if one is under way.
    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Replace::Writing { out, pos } = &mut self.replace else {
            return Poll::Ready(Ok(()));
        };
        while *pos < out.len() {
            match Pin::new(&mut self.inner).poll_write(cx, &out[*pos..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *pos += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.replace = Replace::Done;
        Poll::Ready(Ok(()))
    }

    /// Reads and discards what the client still sends, within [`LINGER_TIME`] and
    /// [`LINGER_BYTES`], so that closing does not reset the connection under the answer.
    async fn linger(&mut self) {
        let mut sink = [0u8; 4096];
        let mut left = LINGER_BYTES;
        let drain = async {
            while left > 0 {
                match self.inner.read(&mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => left = left.saturating_sub(n),
                }
            }
        };
        let _ = tokio::time::timeout(LINGER_TIME, drain).await;
    }
}

impl AsyncRead for EdgeStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        if this.replay_pos < this.replay.len() {
            let n = buf.remaining().min(this.replay.len() - this.replay_pos);
            buf.put_slice(&this.replay[this.replay_pos..this.replay_pos + n]);
            this.replay_pos += n;
            if this.replay_pos == this.replay.len() {
                this.replay = Vec::new();
                this.replay_pos = 0;
            }
            let read = &buf.filled()[before..];
            this.remember(read);
            return Poll::Ready(Ok(()));
        }
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            let read = &buf.filled()[before..];
            if !read.is_empty() {
                this.remember(read);
            }
        }
        poll
    }
}

impl AsyncWrite for EdgeStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Replace::No = this.replace {
            if this.wrote {
                return Pin::new(&mut this.inner).poll_write(cx, buf);
            }
            this.wrote = true;
            let Some(error) = ErrorHead::recognise(buf) else {
                return Pin::new(&mut this.inner).poll_write(cx, buf);
            };
            let out = this.answers.answer(&error, &this.prefix);
            this.replace = Replace::Writing { out, pos: 0 };
        }
        // Replacing: pingora's bytes count as written once ours are out.
        this.poll_answer(cx).map_ok(|()| buf.len())
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // pingora writes its error head with `write_all`, never vectored: only pass through.
        let this = self.get_mut();
        if let Replace::No = this.replace {
            this.wrote = true;
            return Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        }
        let len = bufs.iter().map(|b| b.len()).sum();
        this.poll_answer(cx).map_ok(|()| len)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.poll_answer(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.poll_answer(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[async_trait]
impl Shutdown for EdgeStream {
    async fn shutdown(&mut self) {
        if let Replace::No = self.replace {
            return self.inner.shutdown().await;
        }
        let _ = std::future::poll_fn(|cx| self.poll_answer(cx)).await;
        self.inner.shutdown().await;
        self.linger().await;
    }
}

impl UniqueID for EdgeStream {
    fn id(&self) -> UniqueIDType {
        self.inner.id()
    }
}

impl Ssl for EdgeStream {
    fn get_ssl(&self) -> Option<&TlsRef> {
        self.inner.get_ssl()
    }

    fn get_ssl_digest(&self) -> Option<Arc<SslDigest>> {
        self.inner.get_ssl_digest()
    }

    fn selected_alpn_proto(&self) -> Option<ALPN> {
        self.inner.selected_alpn_proto()
    }
}

impl GetTimingDigest for EdgeStream {
    fn get_timing_digest(&self) -> Vec<Option<TimingDigest>> {
        self.inner.get_timing_digest()
    }

    fn get_read_pending_time(&self) -> Duration {
        self.inner.get_read_pending_time()
    }

    fn get_write_pending_time(&self) -> Duration {
        self.inner.get_write_pending_time()
    }
}

impl GetProxyDigest for EdgeStream {
    fn get_proxy_digest(&self) -> Option<Arc<ProxyDigest>> {
        self.inner.get_proxy_digest()
    }

    fn set_proxy_digest(&mut self, digest: ProxyDigest) {
        self.inner.set_proxy_digest(digest);
    }
}

impl GetSocketDigest for EdgeStream {
    fn get_socket_digest(&self) -> Option<Arc<SocketDigest>> {
        self.inner.get_socket_digest()
    }

    fn set_socket_digest(&mut self, socket_digest: SocketDigest) {
        self.inner.set_socket_digest(socket_digest);
    }
}

#[async_trait]
impl Peek for EdgeStream {
    async fn try_peek(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        self.inner.try_peek(buf).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::answers::test_answers as answers;
    use super::*;
    use tokio::io::AsyncWriteExt as _;

    #[tokio::test]
    async fn normal_answers_and_keep_alive_pass_untouched() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let mut stream = EdgeStream::new(Box::new(server), answers());
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        // An application 400 (it names no library) is the application's to send.
        let own = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        for answer in [&ok[..], &ok[..], &own[..]] {
            client
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            let mut request = [0u8; 64];
            let n = stream.read(&mut request).await.unwrap();
            assert_eq!(&stream.prefix[..], &request[..n]);
            stream.write_all(answer).await.unwrap();
            stream.flush().await.unwrap();
            let mut got = vec![0u8; answer.len()];
            client.read_exact(&mut got).await.unwrap();
            assert_eq!(got, answer);
        }
        // A body that happens to look like pingora's head is not the start of a response.
        let pingora_like = b"HTTP/1.1 400 Bad Request\r\nServer: Pingora\r\nContent-Length: 0\r\n\
                             Connection: close\r\n\r\n";
        assert!(ErrorHead::recognise(pingora_like).is_some());
        stream.write_all(pingora_like).await.unwrap();
        let mut got = vec![0u8; pingora_like.len()];
        client.read_exact(&mut got).await.unwrap();
        assert_eq!(got, pingora_like);
    }

    #[tokio::test]
    async fn prefix_is_bounded_and_restarts_after_an_answer() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let mut stream = EdgeStream::new(Box::new(server), answers());
        client.write_all(&[b'a'; 3000]).await.unwrap();
        let mut sink = [0u8; 4096];
        let mut read = 0;
        while read < 3000 {
            read += stream.read(&mut sink).await.unwrap();
        }
        assert_eq!(stream.prefix.len(), PREFIX_CAP);
        stream.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        client.write_all(b"GET /next").await.unwrap();
        let n = stream.read(&mut sink).await.unwrap();
        assert_eq!(&stream.prefix[..], &sink[..n]);
    }
}
