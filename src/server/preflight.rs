//! Everything `run` checks and builds from the configuration before it serves, apart from
//! opening the stores — shared with `check-config`, so that a config `check-config` calls ok
//! is one `run` starts with (one validation path: files are opened and parsed, not only
//! named). The stores are left out on purpose: opening SQLite creates the file and migrates
//! it, and PostgreSQL / Redis are services whose reachability is `run`'s and `/readyz`'s
//! business, not the config's (`mfa-gateway migrate` tries the durable store).

use std::sync::Arc;

use pingora::listeners::tls::TlsSettings;
use pingora::upstreams::peer::HttpPeer;

use super::StartError;
use crate::config::Config;
use crate::delivery::CodeSender;
use crate::pages::Pages;
use crate::roster::Roster;
use crate::store::crypto::SecretCipher;

/// What the preflight built, for `build_state` to keep.
pub struct Prepared {
    pub cipher: SecretCipher,
    pub pages: Pages,
    pub roster: Arc<dyn Roster>,
    pub email: Option<Arc<dyn CodeSender>>,
    pub sms: Option<Arc<dyn CodeSender>>,
    pub upstream_client: reqwest::Client,
    pub logo: Option<(String, &'static str, bytes::Bytes)>,
}

/// Runs every start-up check that does not touch the stores: secret keys, pages and logo,
/// roster (the file read and parsed, or the RESO client built), email and SMS senders, the
/// listener's certificate and key, the upstream's address, the Redis revocation channel.
pub async fn prepare(config: &Config) -> Result<Prepared, StartError> {
    let cipher = new_cipher(config)?;
    let pages = Pages::new(&config.branding, config.static_dir.as_deref())
        .map_err(|e| StartError::Pages(e.to_string()))?;
    let logo = super::load_logo(config)?;
    let roster = crate::roster::from_config(&config.roster)
        .await
        .map_err(|e| StartError::Roster(e.to_string()))?;
    let email = match &config.email {
        Some(cfg) => Some(
            crate::delivery::email_sender(cfg, &config.branding, config.mode)
                .map_err(|e| StartError::Email(e.to_string()))?,
        ),
        None => None,
    };
    let sms = match &config.sms {
        Some(cfg) => Some(
            crate::delivery::sms_sender(cfg, &config.branding, config.mode)
                .map_err(|e| StartError::Sms(e.to_string()))?,
        ),
        None => None,
    };
    let upstream_client = super::upstream_client(config)?;
    // Built here to be checked; `run` builds them again where pingora takes them.
    listener_tls(config)?;
    upstream_peer(config)?;
    crate::mfa::revocation::broadcast::EpochChannel::of(&config.storage)
        .map_err(|e| StartError::Ephemeral(e.to_string()))?;
    Ok(Prepared {
        cipher,
        pages,
        roster,
        email,
        sms,
        upstream_client,
        logo,
    })
}

/// The cipher for TOTP secrets from `keys.secret` (one per store, so a function).
pub fn new_cipher(config: &Config) -> Result<SecretCipher, StartError> {
    SecretCipher::new(&config.keys.secret_keys).map_err(|e| StartError::SecretKeys(e.to_string()))
}

/// The listener's TLS settings (certificate and key read and parsed), `None` for plain HTTP.
pub fn listener_tls(config: &Config) -> Result<Option<TlsSettings>, StartError> {
    let Some(tls) = &config.listen.tls else {
        return Ok(None);
    };
    check_certificate(&tls.cert_file, &tls.key_file)?;
    let mut settings = TlsSettings::intermediate(
        &tls.cert_file.display().to_string(),
        &tls.key_file.display().to_string(),
    )
    .map_err(|e| StartError::Listen(format!("tls: {e}")))?;
    if tls.http2 {
        // ALPN h2, then http/1.1: browsers speak HTTP/2 to an HTTPS site that offers it.
        settings.enable_h2();
    }
    Ok(Some(settings))
}

/// Reads the listener's certificate chain and key and builds a rustls server config from them:
/// pingora reads them only when the listener starts, in a task of its own, and a file it
/// cannot use then panics that task while the process runs on without a listener (found by
/// the runtime config fixtures). Failing here names the key instead.
fn check_certificate(cert: &std::path::Path, key: &std::path::Path) -> Result<(), StartError> {
    let files = format!("{} / {}", cert.display(), key.display());
    let loaded = pingora::tls::load_certs_and_key_files(
        &cert.display().to_string(),
        &key.display().to_string(),
    );
    let (certs, key) = match loaded {
        Ok(Some((certs, key))) if !certs.is_empty() => (certs, key),
        Ok(_) => {
            return Err(StartError::Listen(format!(
            "tls: {files}: no PEM certificate or no PEM private key (PKCS#1, PKCS#8 or SEC1) found"
        )))
        }
        Err(e) => return Err(StartError::Listen(format!("tls: {files}: {e}"))),
    };
    pingora::tls::install_default_crypto_provider();
    pingora::tls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| StartError::Listen(format!("tls: {files}: {e}")))?;
    Ok(())
}

/// The upstream peer, its address resolved once (pingora would resolve per request).
pub fn upstream_peer(config: &Config) -> Result<HttpPeer, StartError> {
    crate::proxy::upstream_peer_for(&config.upstream).map_err(|e| {
        StartError::Upstream(format!("cannot resolve {:?}: {e}", config.upstream.address))
    })
}
