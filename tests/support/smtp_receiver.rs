//! A real SMTP receiver for tests: `python3 -m aiosmtpd` with the `Mailbox` handler, which
//! stores every accepted message in a Maildir. Killed when the guard is dropped.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long the receiver may take to start listening.
const STARTUP: Duration = Duration::from_secs(15);

/// Ports tried before giving up (another process may grab a free port between our probe and
/// aiosmtpd binding it).
const START_ATTEMPTS: usize = 3;

/// Whether and how the receiver speaks TLS (aiosmtpd's own options).
pub enum ReceiverTls {
    None,
    /// STARTTLS with this certificate and key; mail is refused before it.
    StartTls {
        cert: PathBuf,
        key: PathBuf,
    },
    /// Implicit TLS (SMTPS) with this certificate and key.
    Implicit {
        cert: PathBuf,
        key: PathBuf,
    },
}

impl ReceiverTls {
    fn arguments(&self) -> Vec<std::ffi::OsString> {
        let pair = |cert_flag: &str, cert: &Path, key_flag: &str, key: &Path| {
            vec![
                cert_flag.into(),
                cert.as_os_str().to_owned(),
                key_flag.into(),
                key.as_os_str().to_owned(),
            ]
        };
        match self {
            ReceiverTls::None => Vec::new(),
            ReceiverTls::StartTls { cert, key } => pair("--tlscert", cert, "--tlskey", key),
            ReceiverTls::Implicit { cert, key } => pair("--smtpscert", cert, "--smtpskey", key),
        }
    }
}

/// A running aiosmtpd; the process is killed on drop.
pub struct SmtpReceiver {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl SmtpReceiver {
    /// Starts a receiver on a free loopback port. Returns `None` (after printing
    /// `SKIPPED: aiosmtpd not installed`) when no Python with aiosmtpd is available.
    pub fn start() -> Option<Self> {
        Self::start_with(ReceiverTls::None)
    }

    /// Starts a receiver offering TLS as `tls` says (STARTTLS, required before mail, or
    /// implicit TLS from the first byte, as on port 465).
    pub fn start_with(tls: ReceiverTls) -> Option<Self> {
        let Some(python) = python_with_aiosmtpd() else {
            println!("SKIPPED: aiosmtpd not installed");
            return None;
        };
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            let dir = tempfile::tempdir().expect("temporary directory");
            let port = free_port();
            let log = std::fs::File::create(dir.path().join("aiosmtpd.log")).expect("log file");
            let child = Command::new(&python)
                .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
                .args(tls.arguments())
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(dir.path().join("maildir"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start aiosmtpd");
            let mut receiver = SmtpReceiver { child, port, dir };
            if receiver.wait_until_listening() {
                return Some(receiver);
            }
            last_log = std::fs::read_to_string(receiver.dir.path().join("aiosmtpd.log"))
                .unwrap_or_default();
        }
        panic!("aiosmtpd did not start listening:\n{last_log}");
    }

    /// The loopback port the receiver listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits for the first stored message and returns it as text.
    pub fn wait_for_message(&self, timeout: Duration) -> String {
        let new_mail = self.maildir().join("new");
        let deadline = Instant::now() + timeout;
        loop {
            let first = std::fs::read_dir(&new_mail)
                .ok()
                .and_then(|mut entries| entries.find_map(Result::ok))
                .map(|entry| entry.path());
            if let Some(path) = first {
                return std::fs::read_to_string(&path).expect("read stored message");
            }
            assert!(
                Instant::now() < deadline,
                "no message arrived in {}",
                new_mail.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Number of messages stored so far.
    pub fn message_count(&self) -> usize {
        std::fs::read_dir(self.maildir().join("new")).map_or(0, |entries| entries.count())
    }

    /// Every stored message, oldest first (Maildir names start with the delivery time, and
    /// the modification time breaks ties).
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir().join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
            .filter_map(Result::ok)
            .map(|e| {
                (
                    e.metadata()
                        .and_then(|m| m.modified())
                        .unwrap_or(std::time::UNIX_EPOCH),
                    e.path(),
                )
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, path)| std::fs::read_to_string(path).ok())
            .collect()
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("maildir")
    }

    fn wait_until_listening(&mut self) -> bool {
        let deadline = Instant::now() + STARTUP;
        while Instant::now() < deadline {
            if let Ok(Some(_status)) = self.child.try_wait() {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for SmtpReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a probe port");
    listener.local_addr().expect("probe address").port()
}

/// The first Python that can import aiosmtpd: `$MFA_TEST_PYTHON`, `python3` on PATH, or the
/// system interpreter (a pyenv `python3` on PATH may lack the Debian package).
fn python_with_aiosmtpd() -> Option<PathBuf> {
    let candidates = std::env::var_os("MFA_TEST_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from("python3"), PathBuf::from("/usr/bin/python3")]);
    candidates.into_iter().find(|python| {
        (python.components().count() == 1 || Path::new(python).exists())
            && Command::new(python)
                .args(["-c", "import aiosmtpd"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
    })
}

/// Starts a minimal SMTP server that accepts the session but answers every `RCPT TO` with
/// `rcpt_reply` (e.g. a `550` that echoes the recipient), and returns its port. It serves
/// until the test's runtime stops.
pub async fn start_refusing_smtp(rcpt_reply: &'static str) -> u16 {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind refusing smtp");
    let port = listener.local_addr().expect("refusing smtp address").port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                if write
                    .write_all(b"220 refusing.test ESMTP\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_ascii_uppercase();
                    let answer = match verb.as_str() {
                        "EHLO" | "HELO" => "250 refusing.test\r\n".to_string(),
                        "MAIL" | "RSET" | "NOOP" => "250 2.0.0 OK\r\n".to_string(),
                        "RCPT" => format!("{rcpt_reply}\r\n"),
                        "QUIT" => "221 2.0.0 Bye\r\n".to_string(),
                        _ => "502 5.5.2 Command not implemented\r\n".to_string(),
                    };
                    if write.write_all(answer.as_bytes()).await.is_err() || verb == "QUIT" {
                        return;
                    }
                }
            });
        }
    });
    port
}
