//! `ijgate-sandbox --listen ADDR --scenario FILE [--cert PEM --key PEM]`: runs the sandbox
//! until SIGINT or SIGTERM. Without a certificate it generates a development CA + server
//! certificate and writes the CA to `--ca-out` so that the gateway can trust it (`ca_file`).
//!
//! Once listening it prints one line, `listening ADDR`, on standard output: the daemon, which
//! starts this binary as a child in `netent.mode = "sandbox"`, reads the bound address there
//! (the configured port may be 0).

use std::net::SocketAddr;
use std::path::PathBuf;

use super::{Sandbox, Scenario, dev_certificates, tls_config};

#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on, e.g. 127.0.0.1:8443.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// Scenario TOML file (defaults: everything accepted).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Server certificate chain (PEM); generated when absent.
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// Server private key (PEM).
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Where to write the generated development CA (PEM).
    #[arg(long, default_value = "sandbox-ca.pem")]
    pub ca_out: PathBuf,
    /// Prest'IJ exchange folders to serve as the CNAM peer (folder mode; repeatable).
    #[arg(long = "prestij-dir")]
    pub prestij_dirs: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("scenario {path}: {message}")]
    Scenario { path: String, message: String },
    #[error("certificate generation: {0}")]
    Cert(String),
}

fn read(path: &PathBuf) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::Io {
        path: path.display().to_string(),
        source,
    })
}

pub async fn run_cli(args: SandboxArgs) -> Result<(), CliError> {
    let scenario = match &args.scenario {
        Some(p) => {
            let text = String::from_utf8_lossy(&read(p)?).into_owned();
            Scenario::from_toml(&text).map_err(|e| CliError::Scenario {
                path: p.display().to_string(),
                message: e.to_string(),
            })?
        }
        None => Scenario::default(),
    };
    let (cert, key) = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => (read(c)?, read(k)?),
        _ => {
            let (ca, cert, key) = dev_certificates(&["localhost", "127.0.0.1"])
                .map_err(|e| CliError::Cert(e.to_string()))?;
            std::fs::write(&args.ca_out, ca).map_err(|source| CliError::Io {
                path: args.ca_out.display().to_string(),
                source,
            })?;
            (cert.into_bytes(), key.into_bytes())
        }
    };
    let io = |path: &str| {
        let path = path.to_string();
        move |source| CliError::Io { path, source }
    };
    let tls = tls_config(&cert, &key).map_err(io("tls"))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(io(&args.listen.to_string()))?;
    let bound = listener.local_addr().map_err(io("listen"))?;
    tracing::info!(listen = %bound, "sandbox listening");
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening {bound}").map_err(io("stdout"))?;
        out.flush().map_err(io("stdout"))?;
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(io("SIGTERM handler"))?;
    let sandbox = Sandbox::new(scenario);
    for d in &args.prestij_dirs {
        tokio::spawn(super::prestij::run(sandbox.clone(), d.clone()));
    }
    sandbox
        .serve(listener, tls, async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        })
        .await
        .map_err(io("serve"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SandboxArgs,
    }

    #[test]
    fn arguments_parse() {
        let c = Cli::try_parse_from([
            "ijgate-sandbox",
            "--listen",
            "127.0.0.1:9443",
            "--scenario",
            "s.toml",
        ])
        .unwrap();
        assert_eq!(c.args.listen.port(), 9443);
        assert!(c.args.cert.is_none());
        // --cert needs --key.
        assert!(Cli::try_parse_from(["ijgate-sandbox", "--cert", "c.pem"]).is_err());
    }

    #[tokio::test]
    async fn bad_inputs_are_reported_with_their_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.toml");
        let args = SandboxArgs {
            listen: "127.0.0.1:0".parse().unwrap(),
            scenario: Some(missing.clone()),
            cert: None,
            key: None,
            ca_out: dir.path().join("ca.pem"),
            prestij_dirs: Vec::new(),
        };
        let err = run_cli(args.clone()).await.unwrap_err();
        assert!(err.to_string().contains("missing.toml"), "{err}");
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "seed = \"x\"").unwrap();
        let err = run_cli(SandboxArgs {
            scenario: Some(bad),
            ..args
        })
        .await
        .unwrap_err();
        assert!(matches!(err, CliError::Scenario { .. }), "{err}");
    }
}
