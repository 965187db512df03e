//! Reads the enrollment QR code the way a phone camera would: from pixels, with `zbarimg`
//! (Debian package `zbar-tools`).

use std::process::Command;

/// Debian package providing `zbarimg`.
pub const APT_PACKAGE: &str = "zbar-tools";

/// The text encoded in the QR code of `png`, or `None` (after printing `SKIPPED`) when
/// zbarimg is not installed outside CI. A PNG zbarimg cannot read fails the test.
pub fn decode(png: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("qr.png");
    std::fs::write(&path, png).expect("write QR screenshot");
    let output = match Command::new("zbarimg")
        .args(["--raw", "--quiet", "-Sdisable", "-Sqrcode.enable"])
        .arg(&path)
        .output()
    {
        Ok(output) => output,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install {APT_PACKAGE} ({e})"
            );
            println!("SKIPPED: QR decoding (apt-get install {APT_PACKAGE})");
            return None;
        }
    };
    assert!(
        output.status.success(),
        "zbarimg could not read the QR code: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8_lossy(&output.stdout).trim().to_string())
}
