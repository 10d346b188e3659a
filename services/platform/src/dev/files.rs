//! Files of the data directory: the secrets generated on first start and the record of what
//! was seeded, both readable by their owner only.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// `n` bytes from the operating system's generator.
pub fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    OsRng
        .try_fill_bytes(&mut bytes)
        .context("the operating system's random generator failed")?;
    Ok(bytes)
}

/// A base64 (standard) AES-256 key, as identity's `tokens.encryption_key` expects.
pub fn new_encryption_key() -> anyhow::Result<String> {
    Ok(base64::engine::general_purpose::STANDARD.encode(random_bytes::<32>()?))
}

/// A password that satisfies identity's rules (≥ 12 characters of ≥ 2 kinds) and needs no
/// quoting in a shell: `Demo-` and 20 hex digits.
pub fn new_password() -> anyhow::Result<String> {
    Ok(format!("Demo-{}", hex_string(&random_bytes::<10>()?)))
}

/// A random lower-case hex token of `2 * N` characters.
pub fn new_token<const N: usize>() -> anyhow::Result<String> {
    Ok(hex_string(&random_bytes::<N>()?))
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads `path` as JSON; `None` when it does not exist.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> anyhow::Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(
            serde_json::from_slice(&bytes)
                .with_context(|| format!("parsing {}", path.display()))?,
        )),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes `value` as pretty JSON to `path`, atomically (temporary file + rename) and with mode
/// 0600 on Unix: these files hold the demo's passwords and keys.
pub fn write_private_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let body = serde_json::to_vec_pretty(value)?;
    let tmp = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    // The mode only applies to a new file; an older leftover keeps its own, so set it again.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(&body)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_meet_identity_rules_and_keys_are_32_bytes() {
        let password = new_password().unwrap();
        assert_eq!(password.len(), 25);
        assert!(password.chars().any(|c| c.is_ascii_uppercase()));
        assert!(password.chars().any(|c| !c.is_ascii_alphanumeric()));
        let key = base64::engine::general_purpose::STANDARD
            .decode(new_encryption_key().unwrap())
            .unwrap();
        assert_eq!(key.len(), 32);
        assert_ne!(new_token::<8>().unwrap(), new_token::<8>().unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_owner_only_and_round_trip() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("siyu-files-{}", new_token::<8>().unwrap()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret.json");
        assert!(read_json::<Vec<String>>(&path).unwrap().is_none());
        write_private_json(&path, &vec!["a".to_owned()]).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(read_json::<Vec<String>>(&path).unwrap().unwrap(), vec!["a"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
