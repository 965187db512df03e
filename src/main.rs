//! `mfa-gateway`: command line entry point. Parses arguments, loads the configuration and hands
//! over to [`mfa_gateway::server`]; everything else lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use mfa_gateway::config;
use mfa_gateway::demo;
use mfa_gateway::server;

/// Multi-factor authentication in front of a legacy website, without changing it.
#[derive(Debug, Parser)]
#[command(name = "mfa-gateway", version, about)]
struct Cli {
    /// Configuration file.
    #[arg(long, short, global = true, default_value = "gateway.yaml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway (the default).
    Run {
        /// Take over the listening sockets of a running gateway (zero-downtime restart).
        #[arg(long)]
        upgrade: bool,
    },
    /// Validate the configuration: prints `ok` or one error per line naming the key.
    CheckConfig,
    /// Run the built-in demo: a legacy MLS site plus the gateway in front of it.
    Demo {
        /// Where the demo keeps its SQLite database, keys, roster and outbox.
        #[arg(long, default_value = "demo-data")]
        data_dir: PathBuf,
        /// Where the gateway listens (default: `listen.address` of the embedded config).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Where the demo legacy site listens (default: `upstream.address` of the embedded config).
        #[arg(long)]
        site: Option<std::net::SocketAddr>,
    },
}

fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Run { upgrade: false }) {
        Command::CheckConfig => return check_config(&cli.config),
        Command::Run { upgrade } => run(&cli.config, upgrade),
        Command::Demo {
            data_dir,
            listen,
            site,
        } => run_demo(&data_dir, listen, site),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mfa-gateway: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MFA_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,pingora=warn,pingora_core=warn,pingora_proxy=warn")
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn check_config(path: &std::path::Path) -> ExitCode {
    match config::load_file(path) {
        Ok(_) => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{errors}");
            ExitCode::from(2)
        }
    }
}

/// A runtime that owns store connections for the life of the process (pingora runs its own).
fn store_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("mfa-stores")
        .enable_all()
        .build()
        .context("cannot start the store runtime")
}

fn run(path: &std::path::Path, upgrade: bool) -> anyhow::Result<()> {
    let config =
        config::load_file(path).map_err(|e| anyhow::anyhow!("{}:\n{e}", path.display()))?;
    let runtime = store_runtime()?;
    let state = runtime.block_on(server::build_state(config))?;
    server::run(state, upgrade)?;
    Ok(())
}

fn run_demo(
    data_dir: &std::path::Path,
    listen: Option<std::net::SocketAddr>,
    site: Option<std::net::SocketAddr>,
) -> anyhow::Result<()> {
    let runtime = store_runtime()?;
    let mut prepared =
        demo::run::prepare(data_dir).context("cannot prepare the demo data directory")?;
    if let Some(listen) = listen {
        prepared.config.listen.address = listen;
    }
    if let Some(site) = site {
        prepared.config.upstream.address = site.to_string();
    }
    let site = runtime.block_on(demo::run::start_site(&prepared))?;
    let state = runtime.block_on(server::build_state(prepared.config.clone()))?;
    demo::run::print_banner(&prepared, site.addr());
    server::run(state, false)?;
    Ok(())
}
