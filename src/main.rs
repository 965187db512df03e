//! `mfa-gateway`: command line entry point. Parses arguments, loads the configuration and hands
//! over to [`mfa_gateway::server`] (the gateway) or [`mfa_gateway::admin::cli`] (support and
//! operations commands); everything else lives in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use mfa_gateway::admin::{cli, logging, users::SupportAction};
use mfa_gateway::config;
use mfa_gateway::demo;
use mfa_gateway::server;

/// mimalloc instead of glibc malloc: the proxy allocates and frees many small objects per
/// request (header maps, strings, pingora's boxed futures); see docs/performance.md for the
/// measured effect on instructions per request and on idle-connection memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Multi-factor authentication in front of a legacy website, without changing it.
#[derive(Debug, Parser)]
#[command(name = "mfa-gateway", version, about)]
struct Cli {
    /// Configuration file.
    #[arg(
        long,
        short,
        global = true,
        env = "MFA_GATEWAY_CONFIG",
        default_value = "gateway.yaml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway (the default).
    Run {
        /// Take over the listening sockets of a running gateway (zero-downtime restart; then
        /// send SIGQUIT to the old process, see docs/operations.md).
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
        /// Where the admin API listens (default: `admin.address` of the embedded config).
        #[arg(long)]
        admin: Option<std::net::SocketAddr>,
    },
    /// Support desk: show, reset, forget the devices of, or unlock a member.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Key material: generate new keys, re-encrypt stored secrets with the current key.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Bring the durable store's schema up to date (run before rolling out a new version).
    Migrate,
    /// Print shell completions (e.g. `mfa-gateway completions bash > /etc/bash_completion.d/mfa-gateway`).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff; e.g. `mfa-gateway man | man -l -`).
    Man,
}

/// Who performs a support action and why; both are required and written to the audit log.
#[derive(Debug, Args)]
struct Why {
    /// Why (e.g. "lost phone, identity checked by callback").
    #[arg(long)]
    reason: String,
    /// Who (support agent's name or id).
    #[arg(long)]
    by: String,
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// Print enrollment, method, trust period, last success, failures and lock of a member.
    Show { login: String },
    /// Remove the enrollment and void every trusted device: the next login sets up MFA again.
    Reset {
        login: String,
        #[command(flatten)]
        why: Why,
    },
    /// Void every trusted device (the enrollment stays): the next login is challenged.
    ForgetDevices {
        login: String,
        #[command(flatten)]
        why: Why,
    },
    /// Clear the failed-code lock so the member can verify again.
    Unlock {
        login: String,
        #[command(flatten)]
        why: Why,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Write a new cookie key and secret key (mode 0600) into a directory; never overwrites.
    Generate {
        /// Directory to write `cookie-<id>.key` and `secret-<id>.key` into.
        #[arg(long)]
        out: PathBuf,
        /// Key id (default: k + today's date, e.g. k20250105).
        #[arg(long)]
        id: Option<String>,
    },
    /// Re-encrypt every stored TOTP secret with the current (first) secret key.
    Reseal {
        #[command(flatten)]
        why: Why,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let path = cli.config.as_path();
    let result = match cli.command.unwrap_or(Command::Run { upgrade: false }) {
        Command::CheckConfig => return check_config(path),
        Command::Run { upgrade } => run(path, upgrade),
        Command::Demo {
            data_dir,
            listen,
            site,
            admin,
        } => run_demo(&data_dir, listen, site, admin),
        Command::Users(command) => return finish(users(path, command)),
        Command::Keys(KeysCommand::Generate { out, id }) => {
            return finish(cli::keys_generate(&out, id.as_deref()))
        }
        Command::Keys(KeysCommand::Reseal { why }) => {
            return finish(cli::keys_reseal(path, &why.by, &why.reason))
        }
        Command::Migrate => return finish(cli::migrate(path)),
        Command::Completions { shell } => {
            use clap::CommandFactory as _;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "mfa-gateway",
                &mut std::io::stdout(),
            );
            return ExitCode::SUCCESS;
        }
        Command::Man => man_page(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mfa-gateway: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the manual page to stdout.
fn man_page() -> anyhow::Result<()> {
    use clap::CommandFactory as _;
    clap_mangen::Man::new(Cli::command())
        .render(&mut std::io::stdout())
        .context("cannot write the manual page")
}

fn users(path: &Path, command: UsersCommand) -> Result<(), cli::CommandError> {
    let (action, login, why) = match command {
        UsersCommand::Show { login } => return cli::users_show(path, &login),
        UsersCommand::Reset { login, why } => (SupportAction::Reset, login, why),
        UsersCommand::ForgetDevices { login, why } => (SupportAction::ForgetDevices, login, why),
        UsersCommand::Unlock { login, why } => (SupportAction::Unlock, login, why),
    };
    cli::users_action(path, action, &login, &why.by, &why.reason)
}

/// Exit status of a support / operations command: 0, 2 for bad input, 1 otherwise.
fn finish(result: Result<(), cli::CommandError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mfa-gateway: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// `check-config`: the config's own rules, then every check `run` makes before it serves
/// except opening the stores (files opened and parsed: keys, TLS, roster, templates, logo).
fn check_config(path: &Path) -> ExitCode {
    let config = match config::load_file(path) {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(2);
        }
    };
    let prepared = store_runtime().and_then(|runtime| {
        runtime
            .block_on(server::preflight::prepare(&config))
            .map_err(anyhow::Error::from)
    });
    match prepared {
        Ok(_) => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::from(2)
        }
    }
}

/// A runtime that owns store connections and the admin listener for the life of the process
/// (pingora runs its own).
fn store_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("mfa-stores")
        .enable_all()
        .build()
        .context("cannot start the store runtime")
}

fn run(path: &Path, upgrade: bool) -> anyhow::Result<()> {
    let config =
        config::load_file(path).map_err(|e| anyhow::anyhow!("{}:\n{e}", path.display()))?;
    logging::init(config.audit.as_ref())?;
    let runtime = store_runtime()?;
    let state = runtime.block_on(server::build_state(config))?;
    server::run(state, upgrade)?;
    Ok(())
}

fn run_demo(
    data_dir: &Path,
    listen: Option<std::net::SocketAddr>,
    site: Option<std::net::SocketAddr>,
    admin: Option<std::net::SocketAddr>,
) -> anyhow::Result<()> {
    let mut prepared =
        demo::run::prepare(data_dir).context("cannot prepare the demo data directory")?;
    logging::init(prepared.config.audit.as_ref())?;
    let runtime = store_runtime()?;
    if let Some(listen) = listen {
        prepared.config.listen.address = listen;
    }
    if let Some(site) = site {
        prepared.config.upstream.address = site.to_string();
    }
    if let (Some(address), Some(config)) = (admin, prepared.config.admin.as_mut()) {
        config.address = address;
    }
    let site = runtime.block_on(demo::run::start_site(&prepared))?;
    let state = runtime.block_on(server::build_state(prepared.config.clone()))?;
    demo::run::print_banner(&prepared, site.addr());
    cli::print_demo_operations(&prepared.config);
    server::run(state, false)?;
    Ok(())
}
