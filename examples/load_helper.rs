//! Helper for `benches/load/run.sh`, the load comparison against nginx and HAProxy.
//!
//! * `mint`: prints a `Cookie` header value holding an upstream session cookie and a valid
//!   session-binding cookie for it, signed with the keys of a gateway config (bound-session
//!   load without going through a login first).
//! * `enroll`: writes N bench members with authenticator-app enrollments into the config's
//!   durable store (SQLite or PostgreSQL) and a roster file listing them (the login burst's
//!   members).
//! * `idle`: opens N keep-alive connections, sends one request on each, then holds them idle
//!   (the RSS measurement).
//! * `burst`: N members log in through the gateway and complete MFA concurrently; prints the
//!   verifications per second.
//!
//! Only the library's public API is used, so what is measured is what the gateway runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::Semaphore;

use mfa_gateway::config::{self, Config};
use mfa_gateway::mfa::claims::{session_digest, BindingClaims};
use mfa_gateway::mfa::tokens::KeyRing;
use mfa_gateway::mfa::totp;
use mfa_gateway::state::CookieNames;
use mfa_gateway::store::{EnrolledMethod, Enrollment};

#[derive(Debug, Parser)]
#[command(about = "Load-test helper for benches/load/run.sh")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print `SESSION=value; binding=token` for a bound session.
    Mint {
        #[arg(long)]
        config: PathBuf,
        #[arg(long, default_value = "bench-session-0123456789abcdef")]
        session: String,
        #[arg(long, default_value = "jdoe")]
        user: String,
    },
    /// Enroll `members` bench members (authenticator app) and write their roster.
    Enroll {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        members: usize,
        #[arg(long)]
        roster: PathBuf,
    },
    /// Hold `connections` idle keep-alive connections to `addr` for `hold_secs`.
    Idle {
        #[arg(long)]
        addr: String,
        #[arg(long)]
        connections: usize,
        #[arg(long)]
        hold_secs: u64,
    },
    /// Log `members` enrolled members in through the gateway at `url` and verify them.
    Burst {
        #[arg(long)]
        url: String,
        #[arg(long)]
        members: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Mint {
            config,
            session,
            user,
        } => mint(&load(&config)?, &session, &user),
        Command::Enroll {
            config,
            members,
            roster,
        } => rt.block_on(enroll(&load(&config)?, members, &roster)),
        Command::Idle {
            addr,
            connections,
            hold_secs,
        } => rt.block_on(idle(&addr, connections, Duration::from_secs(hold_secs))),
        Command::Burst {
            url,
            members,
            concurrency,
        } => rt.block_on(burst(&url, members, concurrency)),
    }
}

fn load(path: &Path) -> anyhow::Result<Config> {
    config::load_file(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn mint(config: &Config, session: &str, user: &str) -> anyhow::Result<()> {
    let keys = KeyRing::new(&config.keys.cookie_keys);
    let secure = config.cookies.secure.unwrap_or(config.listen.tls.is_some());
    let names = CookieNames::new(&config.cookies.name_prefix, secure);
    let session_name = config
        .site
        .session_cookies
        .first()
        .context("no session cookie configured")?;
    let now = mfa_gateway::state::unix_now();
    let binding = BindingClaims {
        user: user.to_string(),
        session_digest: session_digest([(session_name.as_str(), session)]),
        expires: now + 86_400,
        epoch: 0,
    }
    .seal(&keys);
    println!("{session_name}={session}; {}={binding}", names.binding);
    Ok(())
}

/// Bench member `i`'s login.
fn member(i: usize) -> String {
    format!("member{i:05}")
}

/// A member's TOTP secret, derived from the login so `burst` can compute codes without a file
/// of secrets (bench data only: real secrets come from the CSPRNG).
fn member_secret(login: &str) -> Vec<u8> {
    let d = ring::digest::digest(&ring::digest::SHA256, format!("bench:{login}").as_bytes());
    d.as_ref()[..totp::SECRET_BYTES].to_vec()
}

async fn enroll(config: &Config, members: usize, roster: &Path) -> anyhow::Result<()> {
    // The configured store, migrated as `mfa-gateway migrate` does: SQLite, or PostgreSQL for
    // the scale-out burst.
    mfa_gateway::admin::stores::migrate(config).await?;
    let store = mfa_gateway::admin::stores::open_durable(config).await?;
    let now = mfa_gateway::state::unix_now();
    let mut yaml = String::new();
    for i in 0..members {
        let login = member(i);
        let enrollment = Enrollment {
            method: EnrolledMethod::App,
            totp_secret: Some(member_secret(&login)),
            trust_period_secs: 86_400,
            enrolled_at: now,
        };
        store.save_enrollment(&login, &enrollment, None).await?;
        yaml.push_str(&format!(
            "- login_id: \"{login}\"\n  name: \"Bench {i}\"\n  email: \"{login}@example.com\"\n  mobile: \"+1203555{:04}\"\n",
            i % 10_000
        ));
    }
    std::fs::write(roster, yaml).with_context(|| roster.display().to_string())?;
    println!("enrolled {members} members");
    Ok(())
}

/// Sends one request and reads its whole answer, leaving the connection open and idle.
async fn one_request(addr: &str) -> anyhow::Result<tokio::net::TcpStream> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: idle\r\n\r\n")
        .await?;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("connection closed before the answer was complete");
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .context("answer without content-length")?;
        if buf.len() >= end + 4 + length {
            return Ok(stream);
        }
    }
}

async fn idle(addr: &str, connections: usize, hold: Duration) -> anyhow::Result<()> {
    let gate = Arc::new(Semaphore::new(256));
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let gate = gate.clone();
        let addr = addr.to_string();
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            one_request(&addr).await
        }));
    }
    let mut held = Vec::with_capacity(connections);
    for task in tasks {
        held.push(task.await??);
    }
    println!("ready {}", held.len());
    tokio::time::sleep(hold).await;
    drop(held);
    Ok(())
}

/// Cookie pairs (`name=value`) from a response's `Set-Cookie` headers.
fn set_cookies(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next().map(str::to_string))
        .collect()
}

/// The value of the `csrf` hidden input on a gateway page.
fn csrf_of(page: &str) -> Option<String> {
    let at = page.find("name=\"csrf\"")?;
    let start = page[..at].rfind('<')?;
    let end = at + page[at..].find('>')?;
    let value = page[start..end].split("value=\"").nth(1)?;
    Some(value[..value.find('"')?].to_string())
}

/// A member whose login is held at the challenge: cookies and CSRF token ready to verify.
struct Held {
    login: String,
    cookie: String,
    csrf: String,
}

async fn hold_login(client: &reqwest::Client, url: &str, login: String) -> anyhow::Result<Held> {
    let resp = client
        .post(format!("{url}/login"))
        .form(&[("username", login.as_str()), ("password", "bench")])
        .send()
        .await?;
    if resp.status() != 303 {
        bail!("{login}: login answered {} instead of 303", resp.status());
    }
    let cookie = set_cookies(&resp).join("; ");
    let page = client
        .get(format!("{url}/_mfa/"))
        .header("cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    let csrf = csrf_of(&page).with_context(|| format!("{login}: no csrf on the challenge"))?;
    Ok(Held {
        login,
        cookie,
        csrf,
    })
}

async fn verify(client: &reqwest::Client, url: &str, held: &Held) -> anyhow::Result<bool> {
    let now = mfa_gateway::state::unix_now().max(0) as u64;
    let code = totp::code_at(&member_secret(&held.login), now)?;
    let resp = client
        .post(format!("{url}/_mfa/verify"))
        .header("cookie", &held.cookie)
        .form(&[("csrf", held.csrf.as_str()), ("code", code.as_str())])
        .send()
        .await?;
    let released = set_cookies(&resp).iter().any(|c| c.contains("_bind="));
    Ok(resp.status() == 303 && released)
}

/// Runs `job` for every item with at most `concurrency` in flight; results in input order.
async fn run_all<T, R, F, Fut>(items: Vec<T>, concurrency: usize, job: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = R> + Send + 'static,
{
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let job = Arc::new(job);
    let mut tasks = Vec::with_capacity(items.len());
    for item in items {
        let (gate, job) = (gate.clone(), job.clone());
        tasks.push(tokio::spawn(async move {
            // The semaphore is never closed, so acquiring cannot fail.
            let _permit = gate.acquire_owned().await;
            job(item).await
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        if let Ok(r) = task.await {
            out.push(r);
        }
    }
    out
}

async fn burst(url: &str, members: usize, concurrency: usize) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let started = Instant::now();
    let (c, u) = (client.clone(), url.to_string());
    let held: Vec<Held> = run_all((0..members).map(member).collect(), concurrency, move |l| {
        let (c, u) = (c.clone(), u.clone());
        async move { hold_login(&c, &u, l).await }
    })
    .await
    .into_iter()
    .collect::<anyhow::Result<_>>()?;
    let held_at = Instant::now();
    let (c, u) = (client.clone(), url.to_string());
    let results = run_all(held, concurrency, move |h| {
        let (c, u) = (c.clone(), u.clone());
        async move { verify(&c, &u, &h).await }
    })
    .await;
    let verify_secs = held_at.elapsed().as_secs_f64();
    let passed = results.iter().filter(|r| matches!(r, Ok(true))).count();
    let total_secs = started.elapsed().as_secs_f64();
    println!(
        "members={members} concurrency={concurrency} passed={passed} \
         login_phase_s={:.3} verify_phase_s={verify_secs:.3} verifications_per_s={:.0} \
         complete_logins_per_s={:.0}",
        held_at.duration_since(started).as_secs_f64(),
        passed as f64 / verify_secs,
        passed as f64 / total_secs,
    );
    if passed != members {
        let first_error = results.iter().find_map(|r| r.as_ref().err());
        bail!("only {passed} of {members} members passed MFA (first error: {first_error:?})");
    }
    Ok(())
}
