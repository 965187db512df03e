//! `mfa-gateway demo`: prepares a data directory (keys, roster, SQLite), starts the demo legacy
//! site on the upstream address of the embedded `gateway.yaml`, and prints how to try it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::config::{self, Config};
use crate::demo::{demo_roster_yaml, demo_users, DemoSite, DemoUser};

/// The shipped `gateway.yaml`, which is the demo's configuration.
pub const EMBEDDED_CONFIG: &str = include_str!("../../gateway.yaml");

/// The demo's data, ready to start.
#[derive(Debug, Clone)]
pub struct PreparedDemo {
    pub config: Config,
    pub users: Vec<DemoUser>,
    pub data_dir: PathBuf,
}

/// Why the demo could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the embedded gateway.yaml is invalid:\n{0}")]
    Config(String),
    #[error("cannot start the demo site on {addr}: {source}")]
    Site {
        addr: String,
        source: std::io::Error,
    },
}

/// Creates missing key files and the roster under `data_dir`, then loads the embedded config
/// with its `demo-data/` paths pointed at `data_dir`.
pub fn prepare(data_dir: &Path) -> Result<PreparedDemo, DemoError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| DemoError::Io { path, source }
    };
    let keys = data_dir.join("keys");
    for name in ["cookie-k1.key", "secret-k1.key", "admin.token"] {
        let path = keys.join(name);
        config::keys::ensure_key_file(&path).map_err(io(&path))?;
    }
    let users = demo_users();
    let roster = data_dir.join("roster.yaml");
    if !roster.exists() {
        std::fs::write(&roster, demo_roster_yaml(&users)).map_err(io(&roster))?;
    }
    let base = std::env::current_dir().map_err(io(Path::new(".")))?;
    let text = EMBEDDED_CONFIG.replace("demo-data/", &format!("{}/", data_dir.display()));
    let config = config::load_str(&text, &base).map_err(|e| DemoError::Config(e.to_string()))?;
    Ok(PreparedDemo {
        config,
        users,
        data_dir: data_dir.to_path_buf(),
    })
}

/// Starts the legacy site where the config's upstream points.
pub async fn start_site(demo: &PreparedDemo) -> Result<DemoSite, DemoError> {
    let addr = demo.config.upstream.address.clone();
    let site_err = |source| DemoError::Site {
        addr: addr.clone(),
        source,
    };
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(site_err)?;
    DemoSite::start(listener, demo.users.clone())
        .await
        .map_err(site_err)
}

/// Tells the person at the terminal what to open and how to sign in.
pub fn print_banner(demo: &PreparedDemo, site: SocketAddr) {
    let gateway = demo.config.listen.address;
    println!();
    println!("  mfa-gateway demo");
    println!("  ----------------");
    println!("  Open            http://{gateway}/   (the legacy site, through the gateway)");
    println!("  Legacy site     http://{site}/   (direct, without MFA — for comparison)");
    println!(
        "  Data directory  {}   (SQLite, keys, roster, outbox)",
        demo.data_dir.display()
    );
    println!();
    println!("  Demo members (username / password):");
    for u in &demo.users {
        println!(
            "    {:<10} / {:<14} {}",
            u.username, u.password, u.display_name
        );
    }
    println!();
    println!(
        "  Codes sent by email or text are written to {}/outbox and shown in this log.",
        demo.data_dir.display()
    );
    println!("  Stop with Ctrl-C.");
    println!();
}
