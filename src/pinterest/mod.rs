//! The only code that speaks HTTP to Pinterest: typed v5 requests and responses, OAuth, the
//! token lifecycle, one rate limiter per token, and retries.

pub mod answer;
mod callback_listener;
mod client;
mod endpoints;
mod error;
mod models;
mod oauth;
mod rate_limit;
mod session;
mod tokens;

pub use client::{Answered, Client, ClientStats, RetryPolicy};
pub use endpoints::{AppCredentials, Endpoints};
pub use error::{ApiError, PinterestError};
pub use models::{
    AdAccount, AdAccountOwner, Audience, AudienceRule, AudienceSizing, AudienceSizingRequest,
    AudienceUpdate, ConversionTag, CustomerList, CustomerListUpdate, NewAudience, NewCustomerList,
    OneOf, Operation, Page, ShareOperation, SharedAudience, SharedAudienceAccount,
    SharedAudienceResponse, UserAccount, UserWebsite,
};
pub use oauth::{Callback, judge_callback, open_in_browser, wait_for_callback};
pub use rate_limit::{RateLimiter, RateLimits, RequestKind};
pub use session::{
    ConnectionState, ConnectionStatus, Session, app_secret_key, audience_roles,
    refreshes_in_flight, secret_keys, settle_refreshes,
};
pub use tokens::{AuthorizeRequest, PinterestFields, Protocol, SCOPES, TokenAnswer};
