//! PKCS#12 (.p12/.pfx) bundles of a client certificate, its key and the CA, for HR tools that
//! take a client identity only in that form (Windows certificate store, .NET
//! `X509Certificate2`, browsers, Java keystores). Format: RFC 7292 (PKCS #12 v1.1), with the
//! PBES2/AES-256-CBC and HMAC-SHA256 choices of RFC 9579; checked by `openssl pkcs12 -info`
//! (tests/site_ops.rs), an implementation written by others.
//!
//! The encoding is done by the `p12-keystore` crate (pure Rust, no OpenSSL, no aws-lc):
//! PBES2 with AES-256-CBC and HMAC-SHA256 for the key and the certificates, an HMAC-SHA256 MAC,
//! which Windows 10 (1709 and later), .NET, Java 11+ and OpenSSL 1.1+ read. The password is
//! either given (read from a 0600 file by the caller) or generated here and written beside the
//! bundle as `<name>.p12.pass`, mode 0600; the bundle itself is 0600 (it holds the key).

use std::path::{Path, PathBuf};

use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::channels::tls::TlsError;
use crate::fsio::{Perms, write_atomic};

/// Length of a generated password: 24 characters of 57 (no look-alikes) ≈ 140 bits.
const GENERATED_LEN: usize = 24;

fn err(path: &Path, e: impl std::fmt::Display) -> TlsError {
    TlsError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// A random password of letters and digits (no characters a Windows import dialog or a shell
/// would mangle).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    (0..GENERATED_LEN)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The PKCS#12 bytes of `cert_pem` (leaf first, then its chain) + `key_pem` (PKCS#8) + the
/// CA certificates of `ca_pem`, under `password`. `alias` is the friendly name shown by the
/// Windows certificate store.
pub fn bundle(
    alias: &str,
    cert_pem: &Path,
    key_pem: &Path,
    ca_pem: Option<&Path>,
    password: &str,
) -> Result<Vec<u8>, TlsError> {
    let read_certs = |p: &Path| -> Result<Vec<Certificate>, TlsError> {
        let ders: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(p)
            .map_err(|e| err(p, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| err(p, e))?;
        ders.iter()
            .map(|d| Certificate::from_der(d.as_ref()).map_err(|e| err(p, e)))
            .collect()
    };
    let mut certs = read_certs(cert_pem)?;
    if certs.is_empty() {
        return Err(err(cert_pem, "no certificate in the file"));
    }
    if let Some(ca) = ca_pem {
        for c in read_certs(ca)? {
            if !certs.iter().any(|x| x.as_der() == c.as_der()) {
                certs.push(c);
            }
        }
    }
    let key = PrivateKeyDer::from_pem_file(key_pem).map_err(|e| err(key_pem, e))?;
    let PrivateKeyDer::Pkcs8(pkcs8) = key else {
        return Err(err(
            key_pem,
            "the key is not PKCS#8 (\"BEGIN PRIVATE KEY\"); convert it with `openssl pkcs8 -topk8 -nocrypt`",
        ));
    };
    let key = PrivateKey::from_der(pkcs8.secret_pkcs8_der()).map_err(|e| err(key_pem, e))?;
    // The local key id ties the key bag to its certificate bag: a digest of the leaf (OpenSSL
    // uses SHA-1; any octet string is valid, readers only compare them).
    let key_id = {
        use sha2::Digest;
        sha2::Sha256::digest(certs[0].as_der()).to_vec()
    };
    let mut store = KeyStore::new();
    store.add_entry(
        alias,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(key_id, key, certs)),
    );
    store
        .writer(password)
        .write()
        .map_err(|e| err(cert_pem, format!("PKCS#12 encoding: {e}")))
}

/// Where the bundle of a `client-<safe>.pem` goes, and its password file.
pub fn paths_for(cert_pem: &Path) -> (PathBuf, PathBuf) {
    (
        cert_pem.with_extension("p12"),
        cert_pem.with_extension("p12.pass"),
    )
}

/// Writes `client-<x>.p12` beside every `client-<x>.pem`/`.key` pair of `dir` that has none
/// yet. `password`: the one to use (read by the caller from its file), else one is generated
/// per bundle and written to `client-<x>.p12.pass` (0600). Returns the files written.
pub fn bundle_dev_clients(dir: &Path, password: Option<&str>) -> Result<Vec<PathBuf>, TlsError> {
    let mut pems: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| err(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("client-") && n.ends_with(".pem"))
        })
        .collect();
    pems.sort();
    let ca = dir.join("ca.pem");
    let mut written = Vec::new();
    for pem in pems {
        let key = pem.with_extension("key");
        let (p12, pass_file) = paths_for(&pem);
        if !key.exists() || p12.exists() {
            continue;
        }
        let alias = pem
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.strip_prefix("client-"))
            .unwrap_or("client")
            .to_string();
        let pass = match password {
            Some(p) => p.to_string(),
            None => {
                let p = generate_password();
                write_atomic(&pass_file, format!("{p}\n").as_bytes(), Perms::PRIVATE)
                    .map_err(|e| err(&pass_file, e))?;
                written.push(pass_file.clone());
                p
            }
        };
        let bytes = bundle(
            &alias,
            &pem,
            &key,
            ca.exists().then_some(ca.as_path()),
            &pass,
        )?;
        write_atomic(&p12, &bytes, Perms::PRIVATE).map_err(|e| err(&p12, e))?;
        written.push(p12);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn bundle_reads_back_with_the_same_certificate_and_key() {
        let d = tempfile::tempdir().unwrap();
        crate::channels::tls::generate_dev(d.path(), &["rh-demo".into()]).unwrap();
        let written = bundle_dev_clients(d.path(), None).unwrap();
        let p12 = d.path().join("client-rh-demo.p12");
        let pass = d.path().join("client-rh-demo.p12.pass");
        assert_eq!(written, vec![pass.clone(), p12.clone()]);
        for f in [&p12, &pass] {
            let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", f.display());
        }
        let password = crate::fsio::read_secret(&pass).unwrap();
        assert_eq!(password.len(), GENERATED_LEN);
        let store = KeyStore::from_pkcs12(
            &std::fs::read(&p12).unwrap(),
            &password,
            p12_keystore::Pkcs12ImportPolicy::Relaxed,
        )
        .unwrap();
        let (alias, chain) = store.private_key_chain().unwrap();
        assert_eq!(alias, "rh-demo");
        let leaf = CertificateDer::pem_file_iter(d.path().join("client-rh-demo.pem"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(chain.certs()[0].as_der(), leaf.as_ref());
        let ca = CertificateDer::from_pem_file(d.path().join("ca.pem")).unwrap();
        assert!(chain.certs().iter().any(|c| c.as_der() == ca.as_ref()));
        let key = PrivateKeyDer::from_pem_file(d.path().join("client-rh-demo.key")).unwrap();
        assert_eq!(chain.key().as_der(), key.secret_der());
        // A wrong password is refused (the MAC does not verify).
        assert!(
            KeyStore::from_pkcs12(
                &std::fs::read(&p12).unwrap(),
                "wrong",
                p12_keystore::Pkcs12ImportPolicy::Relaxed
            )
            .is_err()
        );
        // Idempotent: an existing bundle is kept.
        assert!(bundle_dev_clients(d.path(), None).unwrap().is_empty());
    }

    #[test]
    fn a_given_password_writes_no_password_file() {
        let d = tempfile::tempdir().unwrap();
        crate::channels::tls::generate_dev(d.path(), &["a".into(), "b".into()]).unwrap();
        let written = bundle_dev_clients(d.path(), Some("given-pass")).unwrap();
        assert_eq!(written.len(), 2);
        assert!(!d.path().join("client-a.p12.pass").exists());
        let bytes = std::fs::read(d.path().join("client-b.p12")).unwrap();
        assert!(
            KeyStore::from_pkcs12(
                &bytes,
                "given-pass",
                p12_keystore::Pkcs12ImportPolicy::Relaxed
            )
            .is_ok()
        );
    }

    #[test]
    fn generated_passwords_differ() {
        assert_ne!(generate_password(), generate_password());
    }
}
