//! Starting the admin listener next to the proxy.
//!
//! The listener runs on the caller's tokio runtime (the long-lived store runtime `main`
//! builds), not on pingora's, so admin traffic never competes with member traffic for proxy
//! workers. The socket is bound with `SO_REUSEPORT`: during a graceful upgrade the new gateway
//! process binds the same admin address while the old one still holds it (pingora hands over
//! only its own listeners); the old one's socket goes away when it exits.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpSocket};

use super::api;
use crate::state::AppState;

/// Pending connections queued by the kernel for the admin socket.
const BACKLOG: u32 = 128;

/// Why the admin listener could not start.
#[derive(Debug, thiserror::Error)]
pub enum AdminStartError {
    #[error("admin.address: cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("admin: {0}")]
    Random(#[from] super::auth::RandomFailure),
}

/// Binds `address` with address and port reuse, so an upgrading gateway can bind it too.
pub fn bind(address: SocketAddr) -> Result<TcpListener, AdminStartError> {
    let error = |source| AdminStartError::Bind { address, source };
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(error)?;
    socket.set_reuseaddr(true).map_err(error)?;
    #[cfg(unix)]
    socket.set_reuseport(true).map_err(error)?;
    socket.bind(address).map_err(error)?;
    socket.listen(BACKLOG).map_err(error)
}

/// Starts the admin API when `admin:` is configured; returns the bound address. Must be
/// called inside a tokio runtime that lives as long as the process.
pub async fn start(state: &Arc<AppState>) -> Result<Option<SocketAddr>, AdminStartError> {
    let Some(admin) = state.config.admin.as_ref() else {
        return Ok(None);
    };
    let listener = bind(admin.address)?;
    let bound = listener
        .local_addr()
        .map_err(|source| AdminStartError::Bind {
            address: admin.address,
            source,
        })?;
    let router = api::router(state.clone())?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "admin listener stopped");
        }
    });
    tracing::info!(admin = %bound, "admin listener started");
    Ok(Some(bound))
}
