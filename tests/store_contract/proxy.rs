//! A TCP relay on loopback between a store and its server, to cause outages without touching
//! the shared server: `cut` closes the port and every relayed connection (server down),
//! `hang` stops relaying on open connections and accepts new ones without ever answering
//! (server frozen or network black hole: nothing is closed, nothing arrives), `restore` relays
//! again on the same port (server back).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// What the relay does with new connections.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Relay,
    Hang,
}

/// The relay. Dropping it stops everything.
pub struct Proxy {
    addr: SocketAddr,
    target: SocketAddr,
    listener: Option<JoinHandle<()>>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    upstream_addrs: Arc<Mutex<Vec<SocketAddr>>>,
    /// `true` while hanging: open relays stop copying but keep both sockets open.
    frozen: tokio::sync::watch::Sender<bool>,
}

impl Proxy {
    /// Starts relaying a fresh loopback port to `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        let mut proxy = Proxy {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            target,
            listener: None,
            connections: Arc::default(),
            upstream_addrs: Arc::default(),
            frozen: tokio::sync::watch::Sender::new(false),
        };
        proxy.listen(Mode::Relay).await;
        proxy
    }

    /// The address stores should connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Local addresses of the relay's connections to the server (as the server sees them).
    pub fn upstream_addrs(&self) -> Vec<SocketAddr> {
        self.upstream_addrs.lock().expect("addresses lock").clone()
    }

    /// Server down: the port is closed and every relayed connection is dropped.
    pub async fn cut(&mut self) {
        if let Some(listener) = self.listener.take() {
            listener.abort();
            let _ = listener.await;
        }
        let connections: Vec<_> = self
            .connections
            .lock()
            .expect("connections lock")
            .drain(..)
            .collect();
        for connection in connections {
            connection.abort();
            let _ = connection.await;
        }
    }

    /// Server frozen: open connections go silent and new ones are accepted, never answered.
    pub async fn hang(&mut self) {
        self.frozen.send_replace(true);
        if let Some(listener) = self.listener.take() {
            listener.abort();
            let _ = listener.await;
        }
        self.listen(Mode::Hang).await;
    }

    /// Server back on the same port (connections that hung are closed, as after a restart).
    pub async fn restore(&mut self) {
        self.cut().await;
        self.frozen.send_replace(false);
        self.listen(Mode::Relay).await;
    }

    async fn listen(&mut self, mode: Mode) {
        let socket = TcpSocket::new_v4().expect("socket");
        // The port was just closed with connections in TIME_WAIT; reuse it anyway.
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        socket.bind(self.addr).expect("bind relay port");
        let listener = socket.listen(64).expect("listen");
        self.addr = listener.local_addr().expect("relay address");
        let (target, connections, upstream_addrs, frozen) = (
            self.target,
            self.connections.clone(),
            self.upstream_addrs.clone(),
            self.frozen.clone(),
        );
        self.listener = Some(tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((client, _)) = listener.accept().await {
                if mode == Mode::Hang {
                    // Kept open and unread until the next cut.
                    held.push(client);
                    continue;
                }
                let (upstream_addrs, frozen) = (upstream_addrs.clone(), frozen.subscribe());
                let relay = tokio::spawn(async move {
                    relay(client, target, upstream_addrs, frozen).await;
                });
                connections.lock().expect("connections lock").push(relay);
            }
        }));
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(listener) = self.listener.take() {
            listener.abort();
        }
        for connection in self.connections.lock().expect("connections lock").drain(..) {
            connection.abort();
        }
    }
}

/// Copies bytes both ways between `client` and a new connection to `target` until either
/// side closes, or until the relay freezes: then both sockets stay open and silent.
async fn relay(
    mut client: TcpStream,
    target: SocketAddr,
    upstream_addrs: Arc<Mutex<Vec<SocketAddr>>>,
    mut frozen: tokio::sync::watch::Receiver<bool>,
) {
    let Ok(mut upstream) = TcpStream::connect(target).await else {
        return;
    };
    if let Ok(local) = upstream.local_addr() {
        upstream_addrs.lock().expect("addresses lock").push(local);
    }
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
        // The watch guard is dropped inside, keeping the task `Send`.
        _ = async { frozen.wait_for(|frozen| *frozen).await.is_ok() } => {
            // Held until the task is aborted by the next cut or restore.
            std::future::pending::<()>().await;
        }
    }
}

/// The socket address named by a `scheme://[user@]host[:port]/...` URL.
pub async fn server_addr(url: &str, default_port: u16) -> SocketAddr {
    let (_, authority) = split_authority(url);
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let with_port = if host_port
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok())
    {
        host_port.to_string()
    } else {
        format!("{host_port}:{default_port}")
    };
    tokio::net::lookup_host(with_port)
        .await
        .expect("resolve server")
        .next()
        .expect("server address")
}

/// `url` with its host and port replaced by `addr` (user, password, path and query kept).
pub fn with_address(url: &str, addr: SocketAddr) -> String {
    let (scheme_end, authority) = split_authority(url);
    let userinfo = authority
        .rsplit_once('@')
        .map_or(String::new(), |(user, _)| format!("{user}@"));
    let rest = &url[scheme_end + authority.len()..];
    format!("{}{userinfo}{addr}{rest}", &url[..scheme_end])
}

/// (index where the authority starts, the authority) of a URL.
fn split_authority(url: &str) -> (usize, &str) {
    let start = url.find("://").expect("URL with a scheme") + 3;
    let tail = &url[start..];
    let end = tail.find(['/', '?', '#']).unwrap_or(tail.len());
    (start, &tail[..end])
}

#[test]
fn urls_are_rewritten_to_the_relay() {
    let relay: SocketAddr = "127.0.0.1:4000".parse().unwrap();
    assert_eq!(
        with_address("postgres://postgres@127.0.0.1:5432/test", relay),
        "postgres://postgres@127.0.0.1:4000/test"
    );
    assert_eq!(
        with_address("redis://127.0.0.1:6379", relay),
        "redis://127.0.0.1:4000"
    );
    assert_eq!(
        with_address("redis://:pw@cache/0?x=1", relay),
        "redis://:pw@127.0.0.1:4000/0?x=1"
    );
}
