//! Typed calls to the v5 endpoints, through the token's rate limiter, with retries.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::answer::{self, BodyError};
use super::models::ConversionTags;
use super::rate_limit::{RateLimiter, RequestKind};
use super::{
    AdAccount, ApiError, Audience, AudienceSizing, AudienceSizingRequest, AudienceUpdate,
    ConversionTag, CustomerList, CustomerListUpdate, NewAudience, NewCustomerList, Page,
    PinterestError, Session, SharedAudience, SharedAudienceAccount, SharedAudienceResponse,
    UserAccount, UserWebsite,
};

/// How hard to try before giving up.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Tries of one call through server errors and lost connections.
    pub max_attempts: u32,
    /// Rate-limit answers one call takes before giving up (each waited out): waiting is the
    /// right answer to a 429, so these do not count against `max_attempts`.
    pub max_rate_limited: u32,
    pub base_delay: Duration,
    /// The longest single wait, a server's rate-limit reset included.
    pub max_delay: Duration,
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            max_rate_limited: 30,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            request_timeout: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with jitter: half the step is fixed, half random, so callers that
    /// failed together do not retry together.
    fn backoff(&self, attempt: u32) -> Duration {
        let step = self
            .base_delay
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay);
        step / 2 + step.mul_f64(rand::random::<f64>() / 2.0)
    }
}

/// Pages read of one listing before it is taken for a server that pages without end: 250 items
/// a page, far beyond any ad account's lists or audiences.
const MAX_PAGES: usize = 400;

fn endless_paging(path: &str, why: &str) -> PinterestError {
    PinterestError::Decode {
        context: format!("GET {path}"),
        message: format!("the listing's paging does not end ({why}); try again later"),
    }
}

/// Refreshes one call may make after its token was refused.
const MAX_REFRESHES: u32 = 3;

/// Measured counts, for progress displays.
#[derive(Debug, Default)]
pub struct ClientStats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub rate_limited: AtomicU64,
    /// Wall-clock time during which at least one call waited for the rate limit: calls that
    /// wait side by side count once, as a user watching the job sees it.
    pub rate_limit_wait_ms: AtomicU64,
    /// Where the waits counted so far end, in milliseconds since the Unix epoch.
    waits_end_ms: AtomicU64,
}

impl ClientStats {
    /// Counts a wait that ended now, less the part another call's wait already covered.
    fn waited(&self, waited: Duration) {
        if waited.is_zero() {
            return;
        }
        let end = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let start = end.saturating_sub(waited.as_millis() as u64);
        let covered = self.waits_end_ms.fetch_max(end, Ordering::Relaxed);
        let new = end.saturating_sub(start.max(covered));
        self.rate_limit_wait_ms.fetch_add(new, Ordering::Relaxed);
    }
}

/// Whether a request may be sent again after an answer that leaves its effect unknown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Replay {
    /// Reads and membership updates: sending twice does no harm.
    Safe,
    /// Creations: a second send after a timeout or server error could create a twin.
    OnlyIfNotReceived,
}

pub struct Client {
    http: reqwest::Client,
    session: Arc<Session>,
    limiter: Arc<RateLimiter>,
    retry: RetryPolicy,
    pub stats: Arc<ClientStats>,
}

impl Client {
    pub fn new(session: Arc<Session>, limiter: Arc<RateLimiter>) -> Self {
        Client {
            http: session.http().clone(),
            session,
            limiter,
            retry: RetryPolicy::default(),
            stats: Arc::default(),
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    pub async fn user_account(&self) -> Result<UserAccount, PinterestError> {
        self.get("/user_account", &[]).await
    }

    /// Every ad account the token reaches, shared ones included, all pages.
    pub async fn ad_accounts(&self) -> Result<Vec<AdAccount>, PinterestError> {
        self.all_pages(
            "/ad_accounts",
            &[("include_shared_accounts", "true".into())],
        )
        .await
    }

    pub async fn ad_account(&self, id: &str) -> Result<AdAccount, PinterestError> {
        self.get(&format!("/ad_accounts/{id}"), &[]).await
    }

    pub async fn customer_lists(
        &self,
        ad_account: &str,
    ) -> Result<Vec<CustomerList>, PinterestError> {
        self.all_pages(&format!("/ad_accounts/{ad_account}/customer_lists"), &[])
            .await
    }

    pub async fn customer_list(
        &self,
        ad_account: &str,
        id: &str,
    ) -> Result<CustomerList, PinterestError> {
        self.get(
            &format!("/ad_accounts/{ad_account}/customer_lists/{id}"),
            &[],
        )
        .await
    }

    pub async fn create_customer_list(
        &self,
        ad_account: &str,
        list: &NewCustomerList,
    ) -> Result<Answered<CustomerList>, PinterestError> {
        let path = format!("/ad_accounts/{ad_account}/customer_lists");
        self.call_answered(
            Method::POST,
            &path,
            &[],
            Some(list),
            Replay::OnlyIfNotReceived,
        )
        .await
    }

    pub async fn update_customer_list(
        &self,
        ad_account: &str,
        id: &str,
        update: &CustomerListUpdate,
    ) -> Result<Answered<CustomerList>, PinterestError> {
        let path = format!("/ad_accounts/{ad_account}/customer_lists/{id}");
        self.call_answered(Method::PATCH, &path, &[], Some(update), Replay::Safe)
            .await
    }

    /// The ad account's own audiences. Said explicitly: since release 5.28 a listing without
    /// `ownership_type` brings the audiences shared to the account along.
    pub async fn audiences(&self, ad_account: &str) -> Result<Vec<Audience>, PinterestError> {
        let owned = [("ownership_type", "OWNED".to_owned())];
        self.all_pages(&format!("/ad_accounts/{ad_account}/audiences"), &owned)
            .await
    }

    /// The audiences other ad accounts shared with this one.
    pub async fn received_audiences(
        &self,
        ad_account: &str,
    ) -> Result<Vec<Audience>, PinterestError> {
        let received = [("ownership_type", "RECEIVED".to_owned())];
        self.all_pages(&format!("/ad_accounts/{ad_account}/audiences"), &received)
            .await
    }

    pub async fn audience(&self, ad_account: &str, id: &str) -> Result<Audience, PinterestError> {
        self.get(&format!("/ad_accounts/{ad_account}/audiences/{id}"), &[])
            .await
    }

    pub async fn create_audience(
        &self,
        ad_account: &str,
        audience: &NewAudience,
    ) -> Result<Audience, PinterestError> {
        let path = format!("/ad_accounts/{ad_account}/audiences");
        self.call(
            Method::POST,
            &path,
            &[],
            Some(audience),
            Replay::OnlyIfNotReceived,
        )
        .await
    }

    /// How many people an ad group targeting `audience_id` may reach per month (an estimate
    /// that changes from day to day).
    pub async fn audience_sizing(
        &self,
        ad_account: &str,
        audience_id: &str,
    ) -> Result<AudienceSizing, PinterestError> {
        let path = format!("/ad_accounts/{ad_account}/ad_groups/audience_sizing");
        let request = AudienceSizingRequest::of(audience_id);
        self.call(Method::POST, &path, &[], Some(&request), Replay::Safe)
            .await
    }

    /// The ad account's Pinterest (conversion) tags: one answer holds them all.
    pub async fn conversion_tags(
        &self,
        ad_account: &str,
    ) -> Result<Vec<ConversionTag>, PinterestError> {
        let path = format!("/ad_accounts/{ad_account}/conversion_tags");
        let tags: ConversionTags = self.get(&path, &[]).await?;
        Ok(tags.items)
    }

    /// The login's websites, claimed or not, all pages.
    pub async fn websites(&self) -> Result<Vec<UserWebsite>, PinterestError> {
        self.all_pages("/user_account/websites", &[]).await
    }

    /// Changes an audience's name, description or rule (`operation_type` UPDATE).
    pub async fn update_audience(
        &self,
        ad_account: &str,
        id: &str,
        update: &AudienceUpdate,
    ) -> Result<Audience, PinterestError> {
        let path = format!("/ad_accounts/{ad_account}/audiences/{id}");
        self.call(Method::PATCH, &path, &[], Some(update), Replay::Safe)
            .await
    }

    /// Removes an audience (the list it wraps stays: Pinterest has no way to delete one).
    pub async fn remove_audience(
        &self,
        ad_account: &str,
        id: &str,
    ) -> Result<Audience, PinterestError> {
        let path = format!("/ad_accounts/{ad_account}/audiences/{id}");
        self.call(
            Method::PATCH,
            &path,
            &[],
            Some(&AudienceUpdate::remove()),
            Replay::Safe,
        )
        .await
    }

    /// Shares an audience with other ad accounts of the business, or revokes it.
    pub async fn share_audience(
        &self,
        ad_account: &str,
        share: &SharedAudience,
    ) -> Result<SharedAudienceResponse, PinterestError> {
        let path = format!("/ad_accounts/{ad_account}/audiences/ad_accounts/shared");
        self.call(Method::PATCH, &path, &[], Some(share), Replay::Safe)
            .await
    }

    /// The ad accounts an audience is shared with.
    pub async fn shared_accounts(
        &self,
        ad_account: &str,
        audience: &str,
    ) -> Result<Vec<SharedAudienceAccount>, PinterestError> {
        self.all_pages(
            &format!("/ad_accounts/{ad_account}/audiences/shared/accounts"),
            &[
                ("audience_id", audience.to_owned()),
                ("account_type", "AD_ACCOUNT".into()),
            ],
        )
        .await
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, PinterestError> {
        self.call::<T, ()>(Method::GET, path, query, None, Replay::Safe)
            .await
    }

    async fn all_pages<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<T>, PinterestError> {
        let mut items = Vec::new();
        let mut bookmark: Option<String> = None;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_PAGES {
            let mut q: Vec<(&str, String)> = query.to_vec();
            q.push(("page_size", "250".into()));
            if let Some(b) = &bookmark {
                q.push(("bookmark", b.clone()));
            }
            let page: Page<T> = self.get(path, &q).await?;
            items.extend(page.items);
            match page.bookmark.filter(|b| !b.is_empty()) {
                // A bookmark seen before would page in a circle.
                Some(next) if !seen.insert(next.clone()) => {
                    return Err(endless_paging(path, "a bookmark came back a second time"));
                }
                Some(next) => bookmark = Some(next),
                None => return Ok(items),
            }
        }
        Err(endless_paging(
            path,
            &format!("it went past {MAX_PAGES} pages"),
        ))
    }

    async fn call<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        replay: Replay,
    ) -> Result<T, PinterestError> {
        self.call_answered(method, path, query, body, replay)
            .await
            .map(|answered| answered.value)
    }

    /// A call whose answer keeps Pinterest's request id, for records that cite it (an
    /// erasure's receipt).
    async fn call_answered<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        replay: Replay,
    ) -> Result<Answered<T>, PinterestError> {
        let url = self.session.endpoints().api_url(path);
        let kind = if method == Method::GET {
            RequestKind::Read
        } else {
            RequestKind::Write
        };
        let mut attempt = 0;
        let mut rate_limited = 0;
        // A refresh per rejected token: another process (or a revocation) may retire the new
        // one too before this call gets through, and a second refresh is then as sound as the
        // first. Bounded, so a token Pinterest keeps refusing ends the call.
        let mut refreshes = 0;
        loop {
            attempt += 1;
            let waited = self.limiter.acquire(kind).await;
            self.stats.waited(waited);
            let token = self.session.access_token().await?;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(&token)
                .timeout(self.retry.request_timeout);
            if !query.is_empty() {
                request = request.query(query);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            // A connection lost while a success's body is read leaves the outcome as unknown
            // as one lost before the status line.
            let context = format!("{method} {path}");
            let sent = match request.send().await {
                Ok(response) if response.status().is_success() => {
                    let request_id = request_id_of(&response);
                    match answer::read_capped(response, answer::MAX_BODY_BYTES).await {
                        Ok(body) => {
                            return Ok(Answered {
                                value: answer::decode::<T>(&context, &body)?,
                                request_id,
                            });
                        }
                        Err(BodyError::TooLarge(size)) => {
                            return Err(answer::too_large(&context, size));
                        }
                        Err(BodyError::Transport(e)) => Err((e, false)),
                    }
                }
                Ok(response) => Ok(response),
                Err(e) => {
                    let not_received = e.is_connect();
                    Err((e, not_received))
                }
            };
            let response = match sent {
                Ok(response) => response,
                Err((e, not_received)) => {
                    if attempt < self.retry.max_attempts && (replay == Replay::Safe || not_received)
                    {
                        tracing::warn!(%path, attempt, "request failed, retrying: {e}");
                        self.stats.retries.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(self.retry.backoff(attempt)).await;
                        continue;
                    }
                    return Err(PinterestError::Network {
                        url: url.to_string(),
                        message: e.to_string(),
                    });
                }
            };
            let status = response.status();
            let wait = rate_limit_wait(response.headers());
            let error = api_error(response).await;
            tracing::warn!(
                %path,
                status = error.status,
                code = ?error.code,
                request_id = ?error.request_id,
                attempt,
                "Pinterest refused a request"
            );
            match status {
                StatusCode::UNAUTHORIZED if refreshes < MAX_REFRESHES && error.code != Some(3) => {
                    refreshes += 1;
                    attempt -= 1;
                    self.session.refresh_after_rejection(&token).await?;
                }
                StatusCode::TOO_MANY_REQUESTS if rate_limited + 1 < self.retry.max_rate_limited => {
                    rate_limited += 1;
                    attempt -= 1;
                    self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    let wait = wait
                        .map(|w| w.min(self.retry.max_delay))
                        .unwrap_or_else(|| self.retry.backoff(rate_limited));
                    self.limiter.pause_for(wait).await;
                }
                s if s.is_server_error()
                    && replay == Replay::Safe
                    && attempt < self.retry.max_attempts =>
                {
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(self.retry.backoff(attempt)).await;
                }
                _ => return Err(PinterestError::Api(error)),
            }
        }
    }
}

/// Reads Pinterest's error body and request id from a failed answer.
pub(super) async fn api_error(response: reqwest::Response) -> ApiError {
    let status = response.status().as_u16();
    let request_id = request_id_of(&response);
    let body = answer::read_error_body(response).await;
    answer::parse_error(status, request_id.as_deref(), &body)
}

/// The wait a rate-limited answer asks for, with a bit of jitter so that callers limited
/// together do not come back together.
fn rate_limit_wait(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let wait = answer::rate_limit_wait(
        header("retry-after"),
        header("x-ratelimit-reset"),
        std::time::SystemTime::now(),
    )?;
    Some(wait + Duration::from_secs_f64(rand::random::<f64>() * 0.25))
}

#[cfg(test)]
mod tests {

    #[test]
    fn waits_side_by_side_count_once() {
        let stats = ClientStats::default();
        stats.waited(Duration::from_millis(400));
        stats.waited(Duration::from_millis(400));
        stats.waited(Duration::from_millis(300));
        let counted = stats.rate_limit_wait_ms.load(Ordering::Relaxed);
        // Summed they would make 1,100 ms; side by side they are one 400 ms wait.
        assert!((400..600).contains(&counted), "{counted}");
    }
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default();
        for attempt in 1..20 {
            let d = policy.backoff(attempt);
            assert!(d <= policy.max_delay, "{attempt}: {d:?}");
            let step = (policy.base_delay * (1 << (attempt - 1).min(16))).min(policy.max_delay);
            assert!(d >= step / 2, "{attempt}: {d:?}");
        }
    }
}

/// Pinterest's id for one request, from its answer's `x-pinterest-rid`.
fn request_id_of(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("x-pinterest-rid")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// An answer with the id Pinterest gave its request.
#[derive(Clone, Debug)]
pub struct Answered<T> {
    pub value: T,
    pub request_id: Option<String>,
}
