//! Configs that load but cannot run (`tests/fixtures/config/runtime/`): `check-config` must
//! refuse each with the same error `run` stops with (issue 15: `check-config` said ok for a
//! roster CSV with a wrong header row and for a missing roster file, which only `run` refused).
//! Every line of a fixture's `.expected` file must appear in both answers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn runtime_fixtures() -> Vec<PathBuf> {
    super::yaml_files_in(&super::fixture_dir().join("runtime"))
}

/// The gateway binary with `args` and the fixture, killed (and the test failed) if it is
/// still running after 30 s: none of these configs may get as far as serving.
fn gateway(args: &[&str], fixture: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mfa-gateway"))
        .args(args)
        .arg("--config")
        .arg(fixture)
        .env("MFA_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} {} is still running", fixture.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn check_config_refuses_what_run_refuses_with_the_same_error() {
    let fixtures = runtime_fixtures();
    assert!(
        fixtures.len() >= 3,
        "only {} runtime fixtures",
        fixtures.len()
    );
    let mut problems = Vec::new();
    for fixture in &fixtures {
        assert!(
            mfa_gateway::config::load_file(fixture).is_ok(),
            "{}: must pass the config's own rules (it tests what only start-up finds)",
            fixture.display()
        );
        let expected = super::expected_text(fixture);
        for (args, label) in [
            (&["check-config"][..], "check-config"),
            (&["run"][..], "run"),
        ] {
            let out = gateway(args, fixture);
            let stderr = String::from_utf8_lossy(&out.stderr);
            if out.status.success() {
                problems.push(format!("{label} {}: succeeded", fixture.display()));
            }
            for line in expected.lines() {
                if !stderr.contains(line) {
                    problems.push(format!(
                        "{label} {}: no {line:?} in:\n{stderr}",
                        fixture.display()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
