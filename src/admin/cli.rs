//! The support and operations commands behind `main.rs`'s thin clap layer: `users …`,
//! `keys generate`, `keys reseal` and `migrate`. Each loads the config, installs logging with
//! the configured audit log (so its actions are audited like the gateway's), opens the durable
//! store directly and prints a plain-text result on stdout. `users reset|forget-devices` also
//! announce the change to running gateways when the ephemeral store is Redis (a short
//! connection just for the PUBLISH; see [`crate::mfa::revocation::broadcast`]).

use std::path::Path;

use super::users::{self, Actor, Channel, SupportAction, SupportError};
use super::{keys, logging, stores};
use crate::config::{self, Config};

/// Why a command failed; [`CommandError::exit_code`] tells scripts whether to fix the input.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{path}:\n{errors}")]
    Config {
        path: String,
        errors: config::ConfigErrors,
    },
    #[error(transparent)]
    Logging(#[from] logging::LoggingError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Open(#[from] stores::OpenError),
    #[error(transparent)]
    Support(#[from] SupportError),
    #[error(transparent)]
    Generate(#[from] keys::GenerateError),
    #[error("storage.durable: {0}")]
    Store(#[from] crate::store::StoreError),
}

impl CommandError {
    /// 2 for problems with the command line or config (fix and retry), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Config { .. }
            | CommandError::Generate(_)
            | CommandError::Support(SupportError::Invalid { .. }) => 2,
            _ => 1,
        }
    }
}

/// Loads the config, installs logging (with its audit log) and builds a runtime.
fn prepare(config_path: &Path) -> Result<(Config, tokio::runtime::Runtime), CommandError> {
    let config = config::load_file(config_path).map_err(|errors| CommandError::Config {
        path: config_path.display().to_string(),
        errors,
    })?;
    logging::init(config.audit.as_ref())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CommandError::Runtime)?;
    Ok((config, runtime))
}

/// `users show <login>`: prints the member's MFA status.
pub fn users_show(config_path: &Path, raw_login: &str) -> Result<(), CommandError> {
    let (config, runtime) = prepare(config_path)?;
    let login = users::normalize_login(config.site.login.username_case_insensitive, raw_login)?;
    let status = runtime.block_on(async {
        let store = stores::open_durable(&config).await?;
        let now = chrono::Utc::now().timestamp();
        Ok::<_, CommandError>(users::show(store.as_ref(), &login, now).await?)
    })?;
    println!("{status}");
    Ok(())
}

/// `users reset|forget-devices|unlock <login> --reason R --by WHO`.
pub fn users_action(
    config_path: &Path,
    action: SupportAction,
    raw_login: &str,
    by: &str,
    reason: &str,
) -> Result<(), CommandError> {
    // Validate the notes before touching anything, so a typo changes nothing.
    let actor = Actor::new(by, reason)?;
    let (config, runtime) = prepare(config_path)?;
    let login = users::normalize_login(config.site.login.username_case_insensitive, raw_login)?;
    let outcome = runtime.block_on(async {
        let store = stores::open_durable(&config).await?;
        let outcome = users::apply(store.as_ref(), action, &login, &actor, Channel::Cli).await?;
        if outcome.epoch.is_some() {
            announce_revocation(&config, &login).await;
        }
        Ok::<_, CommandError>(outcome)
    })?;
    let effect = match action {
        SupportAction::Reset => {
            "enrollment removed and every trusted device voided; the next login sets up MFA again"
        }
        SupportAction::ForgetDevices => "every trusted device voided; the next login is challenged",
        SupportAction::Unlock => "failed-code lock cleared; the member can verify again",
    };
    match outcome.epoch {
        Some(epoch) => println!("{} {}: {effect} (epoch {epoch})", action.name(), login),
        None => println!("{} {}: {effect}", action.name(), login),
    }
    Ok(())
}

/// Tells running gateways (over Redis, when the config uses it) that `login`'s epoch changed,
/// so they end the member's live sessions at once. A failure is a warning on stderr, not an
/// error: the change is made, and gateways notice it within `mfa.revocation_check` anyway.
async fn announce_revocation(config: &Config, login: &str) {
    if let Err(error) = crate::mfa::revocation::broadcast::announce(&config.storage, login).await {
        eprintln!(
            "warning: could not tell the running gateways at once ({error}); \
             live sessions end within mfa.revocation_check"
        );
    }
}

/// `keys generate --out DIR [--id ID]`: writes a new cookie and secret key and prints the
/// config lines to add.
pub fn keys_generate(out: &Path, id: Option<&str>) -> Result<(), CommandError> {
    logging::init(None)?;
    let id = id.map_or_else(keys::default_key_id, str::to_string);
    let generated = keys::generate(out, &id)?;
    println!("wrote {}", generated.cookie_key.display());
    println!("wrote {}", generated.secret_key.display());
    println!();
    println!("List them first in gateway.yaml (first = current; keep the old keys below):");
    print!("{}", generated.config_snippet());
    Ok(())
}

/// `keys reseal --reason R --by WHO`: re-encrypts stored TOTP secrets with the current key.
pub fn keys_reseal(config_path: &Path, by: &str, reason: &str) -> Result<(), CommandError> {
    let actor = Actor::new(by, reason)?;
    let (config, runtime) = prepare(config_path)?;
    let summary = runtime.block_on(async {
        let store = stores::open_durable(&config).await?;
        Ok::<_, CommandError>(keys::reseal(store.as_ref(), &actor).await?)
    })?;
    let current = config
        .keys
        .secret_keys
        .first()
        .map_or("", |k| k.id.as_str());
    println!(
        "examined {} secrets, re-sealed {} with key {current}",
        summary.examined, summary.resealed
    );
    if summary.unreadable.is_empty() {
        println!(
            "every stored secret now opens with the current key; older secret keys may be removed"
        );
    } else {
        println!(
            "{} secrets open with no listed key (keep their key listed, or reset these members): {}",
            summary.unreadable.len(),
            summary.unreadable.join(", ")
        );
    }
    Ok(())
}

/// `migrate`: brings the durable store's schema up to date (before rolling out a new version).
pub fn migrate(config_path: &Path) -> Result<(), CommandError> {
    let (config, runtime) = prepare(config_path)?;
    let summary = runtime.block_on(stores::migrate(&config))?;
    for (from, to) in &summary.rekeyed {
        println!("re-keyed member {from:?} as {to:?}");
    }
    for (from, to) in &summary.conflicts {
        println!(
            "NOT re-keyed {from:?}: {to:?} already exists (lookups find {to:?}; check both with `users show`)"
        );
    }
    for login in &summary.invalid {
        println!(
            "unreachable member {:?}: control, invisible or compatibility characters (the member sets up again)",
            login.escape_debug().to_string()
        );
    }
    println!("ok");
    Ok(())
}

/// Tells the person running the demo where the admin API and the audit log are (printed after
/// the demo's own banner).
pub fn print_demo_operations(config: &Config) {
    if let Some(admin) = &config.admin {
        println!("  Admin API       http://{}/healthz   (token for /v1 and /metrics: the admin.token key file)", admin.address);
    }
    if let Some(file) = config.audit.as_ref().and_then(|a| a.file.as_ref()) {
        println!("  Audit log       {}", file.display());
    }
    println!("  Support tools   mfa-gateway users show|reset|forget-devices|unlock LOGIN --reason R --by WHO");
    println!();
}
