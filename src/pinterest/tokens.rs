//! The OAuth protocol through the `oauth2` crate: the authorize URL and its `state`, the code
//! exchange and the refresh, with Pinterest's extra token fields kept. Every call goes out
//! through the app's own `reqwest` client (one small adapter), so the token endpoint gets the
//! same proxy settings, timeouts, body cap and error reading as every other call.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AsyncHttpClient, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, ExtraTokenFields, HttpRequest, HttpResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::answer::{self, BodyError};
use super::client::api_error;
use super::{ApiError, AppCredentials, Endpoints, PinterestError};

pub const SCOPES: &str = "ads:read,ads:write,user_accounts:read";

/// What the token endpoint's failures are reported as.
const CONTEXT: &str = "POST /oauth/token";

/// A token call that takes longer than this has failed.
const TOKEN_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Pinterest's additions to the standard token answer: how long the refresh token lives.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct PinterestFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_in: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_at: Option<i64>,
}

impl ExtraTokenFields for PinterestFields {}

/// `POST /oauth/token`'s answer. The crate's secret types keep the tokens out of `Debug`.
pub type TokenAnswer = StandardTokenResponse<PinterestFields, BasicTokenType>;

/// The crate's client with the two endpoints Pinterest has: authorize and token.
type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    TokenAnswer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// An authorize URL, the `state` its callback must carry back, and the PKCE verifier the
/// code exchange must show (so a code taken from the callback is useless without it, where
/// Pinterest checks PKCE; harmless where it does not).
pub struct AuthorizeRequest {
    pub url: Url,
    pub state: CsrfToken,
    pub verifier: PkceCodeVerifier,
}

/// One Pinterest app's side of OAuth.
pub struct Protocol {
    client: OAuthClient,
}

impl Protocol {
    pub fn new(endpoints: &Endpoints, app: &AppCredentials) -> Protocol {
        let mut authorize = endpoints.oauth.clone();
        let base = endpoints.oauth.path().trim_end_matches('/');
        authorize.set_path(&format!("{base}/oauth/"));
        let client = oauth2::Client::new(ClientId::new(app.app_id.clone()))
            .set_client_secret(ClientSecret::new(app.app_secret.clone()))
            .set_auth_type(AuthType::BasicAuth)
            .set_auth_uri(AuthUrl::from_url(authorize))
            .set_token_uri(TokenUrl::from_url(endpoints.api_url("/oauth/token")))
            .set_redirect_uri(RedirectUrl::from_url(endpoints.redirect.clone()));
        Protocol { client }
    }

    /// A new login: the URL to open, a fresh 256-bit `state` and an S256 PKCE challenge.
    pub fn authorize(&self) -> AuthorizeRequest {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client
            .authorize_url(|| CsrfToken::new_random_len(32))
            // Pinterest takes its scopes as one comma-separated value.
            .add_scope(Scope::new(SCOPES.to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        AuthorizeRequest {
            url,
            state,
            verifier,
        }
    }

    /// Trades a callback's code for tokens. `continuous_refresh` is needed by apps created
    /// before 2025-09-25 and harmless for the others.
    pub async fn exchange_code(
        &self,
        http: &reqwest::Client,
        code: &str,
        verifier: PkceCodeVerifier,
    ) -> Result<TokenAnswer, PinterestError> {
        self.client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(verifier)
            .add_extra_param("continuous_refresh", "true")
            .request_async(&Adapter(http))
            .await
            .map_err(plain)
    }

    /// Trades a refresh token for new tokens (a new refresh token among them).
    pub async fn refresh(
        &self,
        http: &reqwest::Client,
        refresh_token: &str,
    ) -> Result<TokenAnswer, PinterestError> {
        self.client
            .exchange_refresh_token(&RefreshToken::new(refresh_token.to_owned()))
            .request_async(&Adapter(http))
            .await
            .map_err(plain)
    }
}

/// The app's HTTP client as the crate's async client. A named type rather than a closure:
/// the crate's blanket impl for closures leaves the futures of callers that must be `Send`
/// (spawned tasks) with a lifetime bound the compiler cannot prove general enough.
struct Adapter<'a>(&'a reqwest::Client);

impl<'c> AsyncHttpClient<'c> for Adapter<'_> {
    type Error = PinterestError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, PinterestError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(self.0, request))
    }
}

/// The adapter between the crate and `reqwest`. Anything but a 200 is read as Pinterest's
/// error (status, code, message and request id, as for every other call) and reaches the
/// caller as `PinterestError::Api`; a 200's body is read under the usual cap.
async fn send(
    http: &reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, PinterestError> {
    let url = request.uri().to_string();
    let network = |e: reqwest::Error| PinterestError::Network {
        url: url.clone(),
        message: e.to_string(),
    };
    let mut request = reqwest::Request::try_from(request).map_err(network)?;
    *request.timeout_mut() = Some(TOKEN_CALL_TIMEOUT);
    let response = http.execute(request).await.map_err(network)?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(PinterestError::Api(api_error(response).await));
    }
    let (status, headers) = (response.status(), response.headers().clone());
    let body = match answer::read_capped(response, answer::MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(BodyError::TooLarge(size)) => return Err(answer::too_large(CONTEXT, size)),
        Err(BodyError::Transport(e)) => return Err(network(e)),
    };
    let mut answer = HttpResponse::new(body);
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    Ok(answer)
}

/// The crate's error in the app's terms.
fn plain(error: RequestTokenError<PinterestError, BasicErrorResponse>) -> PinterestError {
    match error {
        RequestTokenError::Request(e) => e,
        RequestTokenError::Parse(e, _) => PinterestError::Decode {
            context: CONTEXT.to_owned(),
            message: crate::display::clipped(&e.to_string(), 300),
        },
        // The adapter answers every non-200 itself, so a standard OAuth error body only gets
        // here from a server that sends one with a 200. RFC 6749 gives those 400 (401 for a
        // client that failed to authenticate), and the session reads 400/401 on a refresh as
        // "reconnect required", `invalid_grant` first among them.
        RequestTokenError::ServerResponse(e) => PinterestError::Api(ApiError {
            status: match e.error() {
                BasicErrorResponseType::InvalidClient => 401,
                _ => 400,
            },
            code: None,
            message: crate::display::clipped(&e.to_string(), 300),
            request_id: None,
        }),
        // A 200 the crate would not read (not JSON, by its content type): unreadable too.
        RequestTokenError::Other(text) => PinterestError::Decode {
            context: CONTEXT.to_owned(),
            message: crate::display::clipped(&text, 300),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn protocol() -> Protocol {
        let endpoints = Endpoints {
            api: Url::parse("https://api.pinterest.com").unwrap(),
            oauth: Url::parse("https://www.pinterest.com").unwrap(),
            redirect: Url::parse("http://localhost:8085/").unwrap(),
        };
        let app = AppCredentials {
            app_id: "1234".into(),
            app_secret: "s3cret".into(),
        };
        Protocol::new(&endpoints, &app)
    }

    #[test]
    fn authorize_url_carries_everything() {
        let request = protocol().authorize();
        let pairs: HashMap<_, _> = request.url.query_pairs().into_owned().collect();
        assert_eq!(request.url.path(), "/oauth/");
        assert_eq!(pairs["client_id"], "1234");
        assert_eq!(pairs["redirect_uri"], "http://localhost:8085/");
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["scope"], SCOPES);
        assert_eq!(pairs["state"], *request.state.secret());
        assert!(!pairs.contains_key("client_secret"));
        // 32 random bytes, base64url without padding: 256 bits.
        assert_eq!(request.state.secret().len(), 43);
        assert_ne!(
            request.state.secret(),
            protocol().authorize().state.secret()
        );
    }

    #[test]
    fn token_answers_keep_pinterests_fields() {
        let body = br#"{"access_token":"pina_a","refresh_token":"pinr_r","token_type":"bearer",
            "expires_in":2592000,"refresh_token_expires_in":5184000,
            "refresh_token_expires_at":1900000000,"scope":"ads:read ads:write",
            "response_type":"refresh_token"}"#;
        let answer: TokenAnswer = serde_json::from_slice(body).unwrap();
        use oauth2::TokenResponse as _;
        assert_eq!(answer.access_token().secret(), "pina_a");
        assert_eq!(answer.refresh_token().unwrap().secret(), "pinr_r");
        assert_eq!(answer.expires_in(), Some(Duration::from_secs(2_592_000)));
        assert_eq!(
            answer.extra_fields().refresh_token_expires_in,
            Some(5_184_000)
        );
        assert_eq!(
            answer.extra_fields().refresh_token_expires_at,
            Some(1_900_000_000)
        );
        assert_eq!(answer.scopes().map(Vec::len), Some(2));
        assert!(
            !format!("{answer:?}").contains("pina_a"),
            "tokens stay out of Debug"
        );
    }

    #[test]
    fn standard_errors_read_as_refusals() {
        let refused: BasicErrorResponse =
            serde_json::from_str(r#"{"error":"invalid_grant"}"#).unwrap();
        match plain(RequestTokenError::ServerResponse(refused)) {
            PinterestError::Api(e) => assert_eq!(e.status, 400),
            other => panic!("{other:?}"),
        }
    }
}
