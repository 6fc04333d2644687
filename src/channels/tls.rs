//! TLS material: the mTLS server configuration, client identities, and development
//! certificates.
//!
//! The web service requires a client certificate chained to the configured CA (rustls'
//! WebPkiClientVerifier refuses the handshake otherwise); the *identity* in it (a DNS SAN, else
//! the CN) is then looked up in the allow-list by the API layer, so that a valid certificate
//! for an unknown client gets a readable 403 instead of a dropped connection.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::fsio::{Perms, ensure_dir, write_atomic};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("TLS configuration: {0}")]
    Config(String),
    #[error("certificate generation: {0}")]
    Generate(String),
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> TlsError {
    TlsError::File {
        path: path.into(),
        message: e.to_string(),
    }
}

/// Installs the ring provider once per process; a second call is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_err(path, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(path, e))?;
    if certs.is_empty() {
        return Err(file_err(path, "no certificate found"));
    }
    Ok(certs)
}

pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| file_err(path, e))
}

/// The server configuration for the web service: our certificate, client certificates
/// required and checked against `client_ca`.
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: &Path,
) -> Result<Arc<ServerConfig>, TlsError> {
    install_crypto_provider();
    let mut roots = rustls::RootCertStore::empty();
    for c in load_certs(client_ca)? {
        roots.add(c).map_err(|e| file_err(client_ca, e))?;
    }
    let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let mut cfg = ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(load_certs(cert)?, load_key(key)?)
        .map_err(|e| TlsError::Config(format!("{}: {e}", cert.display())))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// The identities a client certificate carries: its DNS subject-alternative names, then its CN.
pub fn identities(cert: &CertificateDer<'_>) -> Vec<String> {
    let Ok((_, x509)) = x509_parser::parse_x509_certificate(cert.as_ref()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Ok(Some(san)) = x509.subject_alternative_name() {
        for n in &san.value.general_names {
            if let x509_parser::extensions::GeneralName::DNSName(d) = n {
                out.push((*d).to_string());
            }
        }
    }
    for cn in x509.subject().iter_common_name() {
        if let Ok(s) = cn.as_str() {
            out.push(s.to_string());
        }
    }
    out
}

/// Expiry (not after) of the first certificate in a PEM file, as a Unix timestamp.
pub fn expiry(path: &Path) -> Result<i64, TlsError> {
    let certs = load_certs(path)?;
    let (_, x) =
        x509_parser::parse_x509_certificate(certs[0].as_ref()).map_err(|e| file_err(path, e))?;
    Ok(x.validity().not_after.timestamp())
}

fn gen_err(e: impl std::fmt::Display) -> TlsError {
    TlsError::Generate(e.to_string())
}

fn validity(params: &mut CertificateParams, years: i32) {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let y = today.year();
    params.not_before = rcgen::date_time_ymd(y, today.month() as u8, 1);
    params.not_after = rcgen::date_time_ymd(y + years, today.month() as u8, 1);
}

/// Files written by [`generate_dev`].
#[derive(Debug, Default)]
pub struct DevCerts {
    pub written: Vec<PathBuf>,
}

/// Creates (or completes) a development PKI in `dir`: `ca.pem`/`ca.key`, `server.pem`/
/// `server.key` for localhost and 127.0.0.1, and `client-<name>.pem`/`.key` per HR client.
/// Existing files are kept, so running it again only adds what is missing.
/// Development only: the CA key sits next to the certificates.
pub fn generate_dev(dir: &Path, clients: &[String]) -> Result<DevCerts, TlsError> {
    ensure_dir(dir, Perms::PRIVATE).map_err(|e| file_err(dir, e))?;
    let mut out = DevCerts::default();
    let write = |name: &str, data: &str, out: &mut DevCerts| -> Result<(), TlsError> {
        let p = dir.join(name);
        write_atomic(&p, data.as_bytes(), Perms::PRIVATE).map_err(|e| file_err(&p, e))?;
        out.written.push(p);
        Ok(())
    };
    let (ca_pem, ca_key) = (dir.join("ca.pem"), dir.join("ca.key"));
    let issuer: Issuer<'static, KeyPair> = if ca_pem.exists() && ca_key.exists() {
        let key_pem = std::fs::read_to_string(&ca_key).map_err(|e| file_err(&ca_key, e))?;
        let cert_pem = std::fs::read_to_string(&ca_pem).map_err(|e| file_err(&ca_pem, e))?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| file_err(&ca_key, e))?;
        Issuer::from_ca_cert_pem(&cert_pem, key).map_err(|e| file_err(&ca_pem, e))?
    } else {
        let mut p = CertificateParams::new(Vec::<String>::new()).map_err(gen_err)?;
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name
            .push(DnType::OrganizationName, "ijgate development");
        p.distinguished_name
            .push(DnType::CommonName, "ijgate dev CA (not for production)");
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        validity(&mut p, 5);
        let key = KeyPair::generate().map_err(gen_err)?;
        let cert = p.self_signed(&key).map_err(gen_err)?;
        write("ca.key", &key.serialize_pem(), &mut out)?;
        write("ca.pem", &cert.pem(), &mut out)?;
        Issuer::new(p, key)
    };
    let leaf = |names: Vec<String>,
                cn: &str,
                purpose: ExtendedKeyUsagePurpose|
     -> Result<(String, String), TlsError> {
        let mut p = CertificateParams::new(names).map_err(gen_err)?;
        p.distinguished_name.push(DnType::CommonName, cn);
        p.use_authority_key_identifier_extension = true;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![purpose];
        validity(&mut p, 2);
        let key = KeyPair::generate().map_err(gen_err)?;
        let cert = p.signed_by(&key, &issuer).map_err(gen_err)?;
        Ok((cert.pem(), key.serialize_pem()))
    };
    if !dir.join("server.pem").exists() || !dir.join("server.key").exists() {
        let (cert, key) = leaf(
            vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            "localhost",
            ExtendedKeyUsagePurpose::ServerAuth,
        )?;
        write("server.key", &key, &mut out)?;
        write("server.pem", &cert, &mut out)?;
    }
    for c in clients {
        let safe: String = c
            .chars()
            .map(|ch| {
                if ch.is_ascii_alphanumeric() || "-_.".contains(ch) {
                    ch
                } else {
                    '_'
                }
            })
            .collect();
        let (pem, key) = (format!("client-{safe}.pem"), format!("client-{safe}.key"));
        if !dir.join(&pem).exists() || !dir.join(&key).exists() {
            let (cert, k) = leaf(vec![c.clone()], c, ExtendedKeyUsagePurpose::ClientAuth)?;
            write(&key, &k, &mut out)?;
            write(&pem, &cert, &mut out)?;
        }
    }
    Ok(out)
}

/// A self-signed development CA and a server certificate for `names`, as PEM
/// (ca_cert, server_cert_chain, server_key). For the sandbox peer, demos and tests only.
pub fn dev_certificates(names: &[&str]) -> Result<(String, String, String), rcgen::Error> {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ijgate dev CA");
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate()?;
    let params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
    let cert = params.signed_by(&key, &issuer)?;
    Ok((ca_cert.pem(), cert.pem(), key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_pki_is_usable_and_idempotent() {
        let d = tempfile::tempdir().unwrap();
        let first = generate_dev(d.path(), &["rh-demo".into()]).unwrap();
        assert_eq!(first.written.len(), 6);
        let again = generate_dev(d.path(), &["rh-demo".into(), "other".into()]).unwrap();
        assert_eq!(again.written.len(), 2, "only the new client is added");
        let cfg = server_config(
            &d.path().join("server.pem"),
            &d.path().join("server.key"),
            &d.path().join("ca.pem"),
        );
        assert!(cfg.is_ok(), "{:?}", cfg.err());
        let client = load_certs(&d.path().join("client-rh-demo.pem")).unwrap();
        assert!(identities(&client[0]).contains(&"rh-demo".to_string()));
        assert!(expiry(&d.path().join("server.pem")).unwrap() > chrono::Utc::now().timestamp());
    }
}
