//! `authentifier/1.0`: each account's token, fetched once, shared, renewed on demand.

use reqwest::StatusCode;

use super::*;

impl NetEntClient {
    /// `POST authentifier/1.0/` for the first account → token (also cached for the next calls).
    pub async fn authenticate(&self) -> Result<String, NetEntError> {
        self.authenticate_account(0).await
    }

    /// `POST authentifier/1.0/` for account `acct` → its token (cached for its next calls).
    pub async fn authenticate_account(&self, acct: usize) -> Result<String, NetEntError> {
        let account = self.account(acct)?;
        let mut guard = account.token.lock().await;
        let token = self.fetch_token(acct).await?;
        *guard = Some(token.clone());
        Ok(token)
    }

    fn account(&self, acct: usize) -> Result<&accounts::Account, NetEntError> {
        self.accounts
            .get(acct)
            .ok_or_else(|| NetEntError::permanent("config", None, format!("no account #{acct}")))
    }

    async fn fetch_token(&self, acct: usize) -> Result<String, NetEntError> {
        let login = &self.account(acct)?.login;
        let body = format!(
            "<identifiants><siret>{}</siret><nom>{}</nom><prenom>{}</prenom><motdepasse>{}</motdepasse><service>{}</service></identifiants>",
            xml_escape(&login.siret),
            xml_escape(&login.nom),
            xml_escape(&login.prenom),
            xml_escape(login.password.expose()),
            xml_escape(&self.cfg.service),
        );
        let resp = self
            .http
            .post(&self.cfg.auth_url)
            .header(reqwest::header::CONTENT_TYPE, "application/xml")
            .body(body)
            .send()
            .await
            .map_err(|e| classify_reqwest(&e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = read_limited(resp).await?;
        if !status.is_success() {
            let err = classify_status(status, &headers, &bytes);
            if status == StatusCode::UNPROCESSABLE_ENTITY {
                return Err(NetEntError::permanent(
                    "auth_invalid",
                    Some(422),
                    "authentifier/1.0 refused the parameters (SIRET 14 digits, nom ≤ 64, prénom ≤ 39, password ≤ 30, service ≤ 2 characters)",
                ));
            }
            if status == StatusCode::UNAUTHORIZED {
                // kit: services/auth/ServiceAuthentificationNetEImpl.java answers
                // `Basic realm="net-entreprises.fr"` both for wrong credentials and for a
                // declarant not enrolled in the requested service.
                let realm = realm_of(&headers).unwrap_or_default();
                crate::internal_events::auth_failed("auth_rejected", &format!("realm {realm:?}"));
                return Err(NetEntError::permanent(
                    "auth_rejected",
                    Some(401),
                    format!(
                        "authentifier/1.0 refused SIRET {} / {} {} for service {} (realm {realm:?}): wrong password, expired password, or not enrolled in this service on net-entreprises.fr",
                        login.siret, login.nom, login.prenom, self.cfg.service
                    ),
                ));
            }
            if status == StatusCode::FORBIDDEN {
                return Err(NetEntError::permanent(
                    "auth_locked",
                    Some(403),
                    format!(
                        "authentifier/1.0: account locked or forbidden: {}",
                        truncate(&bytes)
                    ),
                ));
            }
            crate::internal_events::auth_failed(err.kind(), &status.as_u16());
            return Err(err);
        }
        let token = String::from_utf8_lossy(&bytes).trim().to_string();
        if token.is_empty() {
            return Err(NetEntError::permanent(
                "bad_answer",
                Some(status.as_u16()),
                "empty token",
            ));
        }
        tracing::info!(account = %login.siret, "net-entreprises token obtained");
        Ok(token)
    }

    /// The cached token, or a new one. The lock is held while authenticating so that
    /// concurrent calls do not all authenticate at once.
    pub(super) async fn current_token(&self, acct: usize) -> Result<String, NetEntError> {
        let mut guard = self.account(acct)?.token.lock().await;
        if let Some(t) = guard.clone() {
            return Ok(t);
        }
        let token = self.fetch_token(acct).await?;
        *guard = Some(token.clone());
        Ok(token)
    }
}
