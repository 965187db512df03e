//! Start-up: builds the shared state (stores, keys, pages) from a validated [`Config`] and runs
//! the pingora server with the gateway service on the configured listener.

mod keepalive;
pub mod preflight;
pub mod signals;
pub mod tuning;
mod unparsable;

use std::sync::Arc;

use pingora::server::configuration::{Opt, ServerConf};
use pingora::server::Server;

use crate::config::{Config, DurableStore as DurableChoice, EphemeralStore as EphemeralChoice};
use crate::http::classify::Classifier;
use crate::mfa::tokens::KeyRing;
use crate::proxy::Gateway;
use crate::state::{AppState, CookieNames};
use crate::store::memory::MemoryStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{DurableStore, EphemeralStore};

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("keys.secret: {0}")]
    SecretKeys(String),
    #[error("storage.durable: {0}")]
    Durable(String),
    #[error("storage.ephemeral: {0}")]
    Ephemeral(String),
    #[error("branding / static_dir: {0}")]
    Pages(String),
    #[error("listen: {0}")]
    Listen(String),
    #[error("upstream.address: {0}")]
    Upstream(String),
    #[error("{0}")]
    UpstreamCa(String),
    #[error("roster: {0}")]
    Roster(String),
    #[error("email: {0}")]
    Email(String),
    #[error("sms: {0}")]
    Sms(String),
    #[error(transparent)]
    Admin(#[from] crate::admin::listener::AdminStartError),
    #[error("signals: {0}")]
    Signals(String),
    #[error(transparent)]
    AccessLog(#[from] crate::admin::access_log::AccessLogError),
}

/// Opens the stores and builds the shared state. Must run inside a tokio runtime that stays
/// alive for the whole process (store connections belong to it).
pub async fn build_state(config: Config) -> Result<Arc<AppState>, StartError> {
    if matches!(config.storage.durable, DurableChoice::Postgres { .. })
        && matches!(config.storage.ephemeral, EphemeralChoice::Memory)
    {
        // Legal for one instance, but behind a load balancer a login held on one gateway
        // would look expired on the others.
        tracing::warn!("storage: PostgreSQL with an in-memory ephemeral store: run a single instance, or use Redis");
    }
    let prepared = preflight::prepare(&config).await?;
    let durable: Arc<dyn DurableStore> = match &config.storage.durable {
        DurableChoice::Sqlite { path } => Arc::new(
            SqliteStore::open(path, preflight::new_cipher(&config)?)
                .await
                .map_err(|e| StartError::Durable(e.to_string()))?,
        ),
        DurableChoice::Postgres { url, ca_file } => Arc::new(
            crate::store::postgres::PgStore::open_with_ca(
                url,
                ca_file.as_deref(),
                preflight::new_cipher(&config)?,
            )
            .await
            .map_err(|e| StartError::Durable(e.to_string()))?,
        ),
    };
    let ephemeral: Arc<dyn EphemeralStore> = match &config.storage.ephemeral {
        EphemeralChoice::Memory => Arc::new(MemoryStore::new(1_000_000)),
        EphemeralChoice::Redis { url, ca_file } => Arc::new(
            crate::store::redis::RedisStore::open_with_ca(
                url,
                ca_file.as_deref(),
                &config.storage.redis_key_prefix,
            )
            .await
            .map_err(|e| StartError::Ephemeral(e.to_string()))?,
        ),
    };
    // Members written by earlier versions move to the canonical form of their login.
    crate::mfa::username::rekey_members(
        durable.as_ref(),
        config.site.login.username_case_insensitive,
    )
    .await
    .map_err(|e| StartError::Durable(e.to_string()))?;
    // Admin (issue 5): time every store call for mfa_gateway_store_seconds.
    let durable = crate::admin::timed::TimedDurable::wrap(durable);
    let ephemeral = crate::admin::timed::TimedEphemeral::wrap(ephemeral);
    let secure_cookies = config.cookies.secure.unwrap_or(config.listen.tls.is_some());
    crate::http::response::set_hsts(config.edge.hsts.clone());
    crate::http::response::set_server_name(match &config.edge.server_header {
        crate::config::ServerHeader::Replace(name) => Some(name.clone()),
        crate::config::ServerHeader::Pass | crate::config::ServerHeader::Remove => None,
    });
    let access_log = match &config.access_log {
        Some(log) => {
            let log = Arc::new(crate::admin::access_log::AccessLog::open(log)?);
            crate::admin::access_log::AccessLog::spawn_flusher(&log);
            Some(log)
        }
        None => None,
    };
    let state = Arc::new(AppState {
        keys: KeyRing::new(&config.keys.cookie_keys),
        cipher: prepared.cipher,
        durable,
        ephemeral,
        pages: prepared.pages,
        roster: prepared.roster,
        email: prepared.email,
        sms: prepared.sms,
        classifier: Classifier::new(&config.site),
        cookie_names: CookieNames::new(&config.cookies.name_prefix, secure_cookies),
        secure_cookies,
        upstream_client: prepared.upstream_client,
        logo: prepared.logo,
        epochs: crate::mfa::revocation::EpochCache::new(config.mfa.revocation_check, 1_000_000),
        request_ids: crate::http::request_id::RequestIds::random(),
        access_log,
        config: Arc::new(config),
    });
    start_epoch_subscriber(&state)?;
    signals::handle_hangup(&state).map_err(|e| StartError::Signals(format!("SIGHUP: {e}")))?;
    // Admin (issue 5): the admin listener runs on this (the store) runtime, apart from the proxy.
    crate::admin::listener::start(&state).await?;
    Ok(state)
}

/// With a Redis ephemeral store, listens (on this, the store runtime) for revocations announced
/// by other processes, so they end this instance's live sessions within about a second.
fn start_epoch_subscriber(state: &AppState) -> Result<(), StartError> {
    use crate::mfa::revocation::broadcast::EpochChannel;
    let channel = EpochChannel::of(&state.config.storage)
        .map_err(|e| StartError::Ephemeral(e.to_string()))?;
    if let Some(channel) = channel {
        // Detached: the task lives as long as the runtime, i.e. the process.
        drop(channel.spawn_subscriber(state.epochs.clone()));
    }
    Ok(())
}

/// Pingora settings derived from the config.
fn server_conf(config: &Config) -> ServerConf {
    let port = config.listen.address.port();
    let tmp = std::env::temp_dir();
    ServerConf {
        threads: config.threads,
        // Pingora's upstream TLS connector trusts these CAs instead of the platform's.
        ca_file: config
            .upstream
            .ca_file
            .as_ref()
            .map(|path| path.display().to_string()),
        upstream_keepalive_pool_size: config.upstream.keepalive_pool_size,
        // One pid file / upgrade socket per listening port, so several gateways can share a host.
        pid_file: tmp
            .join(format!("mfa-gateway-{port}.pid"))
            .display()
            .to_string(),
        upgrade_sock: tmp
            .join(format!("mfa-gateway-{port}-upgrade.sock"))
            .display()
            .to_string(),
        grace_period_seconds: Some(1),
        graceful_shutdown_timeout_seconds: Some(10),
        ..ServerConf::default()
    }
}

/// Runs the gateway until SIGTERM (graceful) or SIGINT. Never returns.
pub fn run(state: Arc<AppState>, upgrade: bool) -> Result<std::convert::Infallible, StartError> {
    let config = state.config.clone();
    let opt = Opt {
        upgrade,
        ..Opt::default()
    };
    let peer = preflight::upstream_peer(&config)?;
    let mut server = Server::new_with_opt_and_conf(opt, server_conf(&config));
    server.bootstrap();
    // The proxy, wrapped so that pingora's own answer to a request head it cannot parse becomes
    // the gateway's branded page (see `unparsable`).
    let answers = unparsable::Answers::for_gateway(&state)
        .map_err(|e| StartError::Pages(format!("error page: {e}")))?;
    let proxy = pingora::proxy::http_proxy(&server.configuration, Gateway { state, peer });
    let mut service = pingora::services::listening::Service::new(
        "mfa-gateway".to_string(),
        unparsable::BrandedErrors::new(proxy, answers),
    );
    let addr = config.listen.address.to_string();
    let tls = preflight::listener_tls(&config)?;
    service.add_listener(tuning::listener(&addr, tls));
    server.add_service(service);
    tracing::info!(listen = %addr, upstream = %config.upstream.address, "mfa-gateway started");
    signals::notify_ready_when_listening(config.listen.address);
    server.run_forever()
}
