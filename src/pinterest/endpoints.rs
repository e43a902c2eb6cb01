use url::Url;

use super::PinterestError;

/// Where Pinterest is: the real hosts by default, the simulator in tests and demo mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// API base; paths are `/v5/...`.
    pub api: Url,
    /// Authorize page base; the path is `/oauth/`.
    pub oauth: Url,
    /// Must match a redirect URI registered on the Pinterest app exactly, port included.
    pub redirect: Url,
}

impl Endpoints {
    /// `PINTEREST_API_URI`, `PINTEREST_OAUTH_URI` and `PINTEREST_REDIRECT_URI`, with
    /// Pinterest's own defaults.
    pub fn from_env() -> Result<Endpoints, PinterestError> {
        let var = |name: &str, default: &str| -> Result<Url, PinterestError> {
            let text = std::env::var(name).unwrap_or_else(|_| default.to_owned());
            Url::parse(&text)
                .map_err(|e| PinterestError::Config(format!("{name}='{text}' is not a URL: {e}")))
        };
        Ok(Endpoints {
            api: var("PINTEREST_API_URI", "https://api.pinterest.com")?,
            oauth: var("PINTEREST_OAUTH_URI", "https://www.pinterest.com")?,
            redirect: var("PINTEREST_REDIRECT_URI", "http://localhost:8085/")?,
        })
    }

    /// Endpoints of a simulator listening on `base` (e.g. `http://127.0.0.1:4010`).
    pub fn simulator(base: &Url, redirect: Url) -> Endpoints {
        Endpoints {
            api: base.clone(),
            oauth: base.clone(),
            redirect,
        }
    }

    pub fn api_url(&self, path: &str) -> Url {
        let mut url = self.api.clone();
        let base = self.api.path().trim_end_matches('/');
        url.set_path(&format!("{base}/v5{path}"));
        url
    }
}

/// A Pinterest app's ID and secret. The secret is never printed or logged.
#[derive(Clone)]
pub struct AppCredentials {
    pub app_id: String,
    pub app_secret: String,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("app_secret", &"<hidden>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_keep_a_base_path() {
        let e = Endpoints::simulator(
            &Url::parse("http://127.0.0.1:9/base/").unwrap(),
            Url::parse("http://localhost:8085/").unwrap(),
        );
        assert_eq!(
            e.api_url("/user_account").as_str(),
            "http://127.0.0.1:9/base/v5/user_account"
        );
    }
}
