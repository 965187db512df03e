//! axe-core (npm, installed by `npm ci` in tests/browser/) run inside the real page.
//!
//! The pages' CSP allows no scripts, but WebDriver's "execute script" runs through the
//! DevTools protocol, which CSP does not govern, so axe is injected into the page exactly as
//! the gateway served it: same headers, same stylesheets, same layout.

use std::path::PathBuf;

use serde_json::Value;

use super::chrome::Chrome;

/// Impacts that fail the test (axe's two highest).
const BLOCKING: [&str; 2] = ["serious", "critical"];

/// The loaded axe-core source, or nothing (checks skipped, said loudly) outside CI.
pub struct Axe {
    source: Option<String>,
}

/// Where `npm ci` puts axe-core.
fn axe_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/axe-core/axe.min.js")
}

impl Axe {
    /// Reads `axe.min.js`; under `CI` its absence fails the test.
    pub fn load() -> Axe {
        let path = axe_path();
        match std::fs::read_to_string(&path) {
            Ok(source) => Axe {
                source: Some(source),
            },
            Err(e) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI must run `npm ci` in tests/browser ({}: {e})",
                    path.display()
                );
                println!("SKIPPED: axe-core checks (run `npm ci` in tests/browser)");
                Axe { source: None }
            }
        }
    }

    /// Runs axe on the current page; fails on any serious or critical violation and prints
    /// the lesser ones. Returns the number of lesser violations (for the summary).
    pub async fn check(&self, chrome: &Chrome, label: &str) -> usize {
        let Some(source) = &self.source else {
            return 0;
        };
        // Defining `axe` again on a page that has it is harmless; each page load starts clean.
        chrome
            .driver
            .execute(source.as_str(), Vec::<Value>::new())
            .await
            .expect("inject axe-core");
        let results = chrome
            .driver
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   axe.run(document, { resultTypes: ["violations"] })
                      .then(r => done({
                          passes: r.passes.length,
                          violations: r.violations.map(v => ({
                              id: v.id, impact: v.impact, help: v.help,
                              nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)
                          }))
                      }))
                      .catch(e => done({ error: String(e) }));"#,
                Vec::<Value>::new(),
            )
            .await
            .expect("run axe-core");
        let results = results.json();
        assert!(
            results["error"].is_null(),
            "axe-core failed on {label}: {}",
            results["error"]
        );
        // Rules that passed prove axe really looked at the page (an empty run proves nothing).
        let passes = results["passes"].as_u64().unwrap_or(0);
        assert!(
            passes > 10,
            "axe-core checked almost nothing on {label}: {results}"
        );
        let violations = results["violations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let describe = |v: &Value| {
            format!(
                "{} [{}] {}\n    {}",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or(""),
                v["nodes"]
                    .as_array()
                    .map(|n| n
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n    "))
                    .unwrap_or_default()
            )
        };
        let (blocking, lesser): (Vec<&Value>, Vec<&Value>) = violations
            .iter()
            .partition(|v| BLOCKING.contains(&v["impact"].as_str().unwrap_or("")));
        for v in &lesser {
            println!("axe {label}: {}", describe(v));
        }
        assert!(
            blocking.is_empty(),
            "axe-core found serious/critical problems on {label}:\n{}",
            blocking
                .iter()
                .map(|v| describe(v))
                .collect::<Vec<_>>()
                .join("\n")
        );
        lesser.len()
    }
}
