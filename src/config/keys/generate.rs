//! Creating key files: random bytes from ring's `SystemRandom`, written as base64 with owner-only
//! permissions, never over an existing key.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};

/// Size of keys written by [`generate_key_file`]; fits both cookie and secret-encryption keys.
pub const GENERATED_KEY_BYTES: usize = 32;

/// Writes [`GENERATED_KEY_BYTES`] random bytes (ring's `SystemRandom`) as base64 to `path` with
/// mode 0600, creating parent directories (mode 0700). Refuses to overwrite an existing file:
/// replacing a key silently would invalidate every cookie or make stored secrets unreadable.
pub fn generate_key_file(path: &Path) -> io::Result<()> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(parent)?;
    }
    let mut bytes = [0u8; GENERATED_KEY_BYTES];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| io::Error::other("the system random number generator failed"))?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|error| {
        if error.kind() == io::ErrorKind::AlreadyExists {
            io::Error::new(
                error.kind(),
                format!(
                    "{} already exists; refusing to overwrite a key",
                    path.display()
                ),
            )
        } else {
            error
        }
    })?;
    let written = file
        .write_all(format!("{}\n", STANDARD.encode(bytes)).as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(error) = written {
        // A truncated key file would later fail to load with a confusing size error.
        let _ = fs::remove_file(path);
        return Err(error);
    }
    Ok(())
}

/// Creates a key file with [`generate_key_file`] only when nothing exists at `path` yet (the
/// demo calls this on every start). Losing a creation race to another process is fine.
pub fn ensure_key_file(path: &Path) -> io::Result<()> {
    if fs::symlink_metadata(path).is_ok() {
        return Ok(());
    }
    match generate_key_file(path) {
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_files_are_private_base64_keys_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/keys/k1.key");
        generate_key_file(&path).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            STANDARD.decode(text.trim()).unwrap().len(),
            GENERATED_KEY_BYTES
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let error = generate_key_file(&path).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
        ensure_key_file(&path).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            text,
            "ensure must keep an existing key"
        );
        let other = dir.path().join("other.key");
        ensure_key_file(&other).unwrap();
        assert_ne!(
            fs::read_to_string(&other).unwrap(),
            text,
            "two generated keys must differ"
        );
    }
}
