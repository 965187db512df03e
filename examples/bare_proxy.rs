//! The floor for `benches/load/run.sh`: the smallest pingora proxy built with the gateway's
//! pingora version and features, whose `ProxyHttp` only returns the upstream peer.
//!
//! Every gateway row of the load comparison is read against this one: what the floor costs is
//! pingora's, what the gateway costs beyond it is ours. By default it listens with the
//! gateway's own buffer sizes (`mfa_gateway::server::tuning`); `--pingora-defaults` gives the
//! untuned floor (pingora's 64 KiB read buffer per connection).
//!
//! ```text
//! cargo run --release --example bare_proxy -- --listen 127.0.0.1:18087 --upstream 127.0.0.1:18081
//! ```

use std::net::ToSocketAddrs as _;

use anyhow::Context as _;
use async_trait::async_trait;
use clap::Parser;
use pingora::prelude::{HttpPeer, ProxyHttp, Result, Session};
use pingora::server::configuration::{Opt, ServerConf};
use pingora::server::Server;

/// The gateway's allocator (src/main.rs), so the floor differs from it only by the MFA work.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(about = "Bare pingora reverse proxy: the load comparison's floor")]
struct Cli {
    /// Address to listen on.
    #[arg(long)]
    listen: String,
    /// Upstream address (plain HTTP).
    #[arg(long)]
    upstream: String,
    /// Worker threads (the gateway's `threads`).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Idle upstream connections kept (the gateway's `upstream.keepalive_pool_size` default).
    #[arg(long, default_value_t = 128)]
    keepalive_pool_size: usize,
    /// Listen with pingora's default buffers instead of the gateway's.
    #[arg(long)]
    pingora_defaults: bool,
}

/// Returns the one upstream peer, resolved at start-up like the gateway's.
struct Bare {
    peer: HttpPeer,
}

#[async_trait]
impl ProxyHttp for Bare {
    type CTX = ();

    fn new_ctx(&self) -> Self::CTX {}

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut ()) -> Result<Box<HttpPeer>> {
        Ok(Box::new(self.peer.clone()))
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let addr = cli
        .upstream
        .to_socket_addrs()
        .context("--upstream")?
        .next()
        .context("--upstream resolves to no address")?;
    let mut peer = HttpPeer::new(addr, false, String::new());
    peer.options.idle_timeout = Some(std::time::Duration::from_secs(60));
    let conf = ServerConf {
        threads: cli.threads,
        upstream_keepalive_pool_size: cli.keepalive_pool_size,
        pid_file: format!("/tmp/bare-proxy-{}.pid", std::process::id()),
        upgrade_sock: format!("/tmp/bare-proxy-{}.sock", std::process::id()),
        grace_period_seconds: Some(1),
        graceful_shutdown_timeout_seconds: Some(1),
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(Opt::default(), conf);
    server.bootstrap();
    let mut service = pingora::proxy::http_proxy_service(&server.configuration, Bare { peer });
    if cli.pingora_defaults {
        service.add_tcp(&cli.listen);
    } else {
        service.add_listener(mfa_gateway::server::tuning::listener(&cli.listen, None));
    }
    server.add_service(service);
    server.run_forever()
}
