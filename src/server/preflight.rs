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
    let logo = load_logo(config)?;
    let roster = crate::roster::from_config(&config.roster)
        .await
        .map_err(|e| StartError::Roster(e.to_string()))?;
    let email = match &config.email {
        Some(cfg) => Some(
            crate::delivery::email_sender(cfg, config.mode)
                .map_err(|e| StartError::Email(e.to_string()))?,
        ),
        None => None,
    };
    let sms = match &config.sms {
        Some(cfg) => Some(
            crate::delivery::sms_sender(cfg, config.mode)
                .map_err(|e| StartError::Sms(e.to_string()))?,
        ),
        None => None,
    };
    // Resolved once here for the relay; `run` resolves it again for pingora's peer.
    let peer = upstream_peer(config)?;
    let upstream_client = upstream_client(config, &peer)?;
    // Built here to be checked; `run` builds it again where pingora takes it.
    listener_tls(config)?;
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

/// Reads the branding logo (from `static_dir`) once, so pages can show it.
fn load_logo(config: &Config) -> Result<Option<(String, &'static str, bytes::Bytes)>, StartError> {
    let Some(logo) = config
        .branding
        .logo
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    else {
        return Ok(None);
    };
    let relative = logo
        .strip_prefix(crate::pages::routes::STATIC_PREFIX)
        .unwrap_or(logo);
    let Some(dir) = config.static_dir.as_deref() else {
        return Err(StartError::Pages(format!(
            "branding.logo: \"{logo}\" needs static_dir, the folder it is read from"
        )));
    };
    let path = dir.join(relative);
    let bytes = std::fs::read(&path).map_err(|e| {
        StartError::Pages(format!(
            "branding.logo: cannot read {}: {e}",
            path.display()
        ))
    })?;
    let content_type = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        _ => {
            return Err(StartError::Pages(format!(
                "branding.logo: \"{logo}\" is not an svg, png, jpg or webp file"
            )))
        }
    };
    let url = format!("{}{relative}", crate::pages::routes::STATIC_PREFIX);
    Ok(Some((url, content_type, bytes.into())))
}

/// The HTTP client the JSON login relay uses to reach the upstream: the same peer as the proxy
/// (connected to `upstream.address`, TLS name `upstream.sni`) and the same trust (the CAs of
/// `upstream.ca_file`, else the platform's roots, as pingora uses), so the two roads to the
/// legacy site can never disagree about whom they are talking to.
fn upstream_client(config: &Config, peer: &HttpPeer) -> Result<reqwest::Client, StartError> {
    let up = &config.upstream;
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(up.connect_timeout)
        .timeout(up.read_timeout)
        .danger_accept_invalid_certs(!up.verify_cert);
    if up.tls {
        // The relay's URL names the SNI host (see `api::login`); it must reach the address.
        let addr = peer
            ._address
            .as_inet()
            .copied()
            .ok_or_else(|| StartError::Upstream("not an internet address".into()))?;
        builder = builder.resolve(&up.sni, addr);
        let ca = crate::trust::CaBundle::read_optional("upstream.ca_file", up.ca_file.as_deref())
            .map_err(|e| StartError::UpstreamCa(e.to_string()))?;
        builder = crate::trust::http_client_trust(builder, ca.as_ref());
    }
    builder
        .build()
        .map_err(|e| StartError::Listen(format!("upstream client: {e}")))
}

/// The upstream peer, its address resolved once (pingora would resolve per request).
pub fn upstream_peer(config: &Config) -> Result<HttpPeer, StartError> {
    crate::proxy::upstream_peer_for(&config.upstream).map_err(|e| {
        StartError::Upstream(format!("cannot resolve {:?}: {e}", config.upstream.address))
    })
}
