//! The client's accounts and proxy from the site's `[netent]` section (passwords and proxy
//! credentials read from their files, modes checked).

use super::{NetEntAccount, NetEntConfig, ProxySettings, Secret};
use crate::config::NetEnt;

/// Why the accounts or the proxy of `[netent]` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("netent.accounts[{index}].password_file: {source}")]
    Password {
        index: usize,
        source: crate::fsio::SecretError,
    },
    #[error("netent.accounts[{0}].password_file: required when mode = \"remote\"")]
    PasswordRequired(usize),
    #[error("netent.proxy_auth_file: {0}")]
    ProxyAuth(#[from] crate::config::netent::ProxyError),
}

/// Adds `[[netent.accounts]]` and the proxy of `n` to `c`. `sandbox`: an account without a
/// password file logs in with "sandbox" (the sandbox peer accepts any password unless its
/// scenario names one). With accounts and no top-level `siret`, the top-level login is not an
/// account (`c.siret` is emptied).
pub fn apply(n: &NetEnt, c: &mut NetEntConfig, sandbox: bool) -> Result<(), SiteError> {
    if !n.accounts.is_empty() && n.siret.is_none() {
        c.siret.clear();
    }
    for (i, a) in n.accounts.iter().enumerate() {
        let password = match &a.password_file {
            Some(f) => crate::fsio::read_secret(f)
                .map_err(|source| SiteError::Password { index: i, source })?,
            None if sandbox => "sandbox".to_string(),
            None => return Err(SiteError::PasswordRequired(i)),
        };
        c.accounts.push(NetEntAccount {
            siret: a.siret.clone(),
            nom: a.nom.clone(),
            prenom: a.prenom.clone(),
            password: Secret::new(password),
            scope: a.sirets.clone(),
        });
    }
    if let Some(url) = &n.proxy {
        let (user, password) = match &n.proxy_auth_file {
            Some(f) => {
                let (u, p) = super::proxy::read_auth_file(f)?;
                (Some(u), Some(p))
            }
            None => (None, None),
        };
        c.proxy = Some(ProxySettings {
            url: url.clone(),
            user,
            password,
            no_proxy: n.no_proxy.clone(),
        });
    }
    Ok(())
}
