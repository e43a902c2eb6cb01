//! Audiences Pinterest builds from its own data, by a rule: people who visited the site (its
//! Pinterest tag saw them) and people who engaged with Pins from a verified domain. Nothing
//! is uploaded: the work is the rule, checked against the account before it is sent, and
//! said in words wherever an audience is listed.

use serde::Serialize;

use super::AudienceError;
use crate::context::Core;
use crate::pinterest::{
    Audience, AudienceRule, AudienceUpdate, ConversionTag, NewAudience, OneOf, PinterestError,
    UserWebsite,
};

/// The tag events Pinterest names; a partner's own event name is taken too.
pub const VISITOR_EVENTS: [&str; 9] = [
    "pagevisit",
    "signup",
    "checkout",
    "viewcategory",
    "search",
    "addtocart",
    "watchvideo",
    "lead",
    "custom",
];
/// Where a visitor's events came from.
pub const EVENT_SOURCES: [&str; 3] = ["web", "mobile", "offline"];
/// What people did with a domain's Pins (all of these when unset).
pub const ENGAGEMENT_TYPES: [&str; 5] = ["click", "save", "closeup", "comment", "like"];
/// How long a person stays in a visitor or engagement audience; Pinterest's default is 180.
pub const RETENTION_DAYS: std::ops::RangeInclusive<u64> = 1..=540;
pub const DEFAULT_RETENTION_DAYS: u64 = 180;

/// A page-address condition of a visitor audience.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlRule {
    Is(String),
    Contains(String),
    NotContains(String),
}

impl UrlRule {
    fn operator(&self) -> (&'static str, &str) {
        match self {
            UrlRule::Is(url) => ("=", url),
            UrlRule::Contains(text) => ("contains", text),
            UrlRule::NotContains(text) => ("not_contains", text),
        }
    }
}

/// A visitor audience to make.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Visitors {
    pub name: String,
    pub description: Option<String>,
    /// The ad account's Pinterest tag (its ID).
    pub tag: String,
    pub event: Option<String>,
    pub retention_days: Option<u64>,
    pub urls: Vec<UrlRule>,
    /// web, mobile, offline (all when empty).
    pub sources: Vec<String>,
    /// `Some(false)`: start empty instead of filling from what the tag saw.
    pub prefill: Option<bool>,
    /// Made on an archived tag all the same (the user confirmed).
    pub archived_tag_confirmed: bool,
}

/// An engagement audience to make.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Engagers {
    pub name: String,
    pub description: Option<String>,
    pub domain: String,
    pub engagement_type: Option<String>,
    pub engager_type: Option<u64>,
    pub retention_days: Option<u64>,
    pub pins: Vec<String>,
}

fn invalid(text: impl Into<String>) -> AudienceError {
    AudienceError::Invalid(text.into())
}

fn check_name(name: &str) -> Result<(), AudienceError> {
    if name.trim().is_empty() {
        return Err(invalid("give the audience a name"));
    }
    Ok(())
}

pub fn check_retention(days: Option<u64>) -> Result<(), AudienceError> {
    match days {
        Some(days) if !RETENTION_DAYS.contains(&days) => Err(invalid(format!(
            "people stay in an audience 1 to 540 days; {days} is out of range (Pinterest's \
             default is 180)"
        ))),
        _ => Ok(()),
    }
}

fn digits(text: &str) -> bool {
    !text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit())
}

impl Visitors {
    /// The checks made before anything is sent, with what to do.
    pub fn check(&self) -> Result<(), AudienceError> {
        check_name(&self.name)?;
        if !digits(self.tag.trim()) {
            return Err(invalid(format!(
                "'{}' is not a Pinterest tag ID (digits only); the connection's tags list them",
                self.tag
            )));
        }
        check_retention(self.retention_days)?;
        if let Some(event) = &self.event {
            let word = !event.is_empty()
                && event
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !word {
                return Err(invalid(format!(
                    "'{event}' is not a tag event: use {}, or a partner's event name (lower \
                     case letters, digits and _)",
                    VISITOR_EVENTS.join(", ")
                )));
            }
        }
        if let Some(source) = self
            .sources
            .iter()
            .find(|s| !EVENT_SOURCES.contains(&s.as_str()))
        {
            return Err(invalid(format!(
                "'{source}' is not an event source: use web, mobile or offline"
            )));
        }
        if self.urls.iter().any(|u| u.operator().1.trim().is_empty()) {
            return Err(invalid("a page address condition needs its text"));
        }
        Ok(())
    }

    /// The rule exactly as asked: what is not set is left out, so Pinterest's defaults hold.
    pub fn rule(&self) -> AudienceRule {
        let urls: Vec<serde_json::Value> = self
            .urls
            .iter()
            .map(|u| {
                let (operator, value) = u.operator();
                serde_json::json!({ operator: value })
            })
            .collect();
        let tag = self.tag.trim();
        AudienceRule {
            visitor_source_id: (!tag.is_empty()).then(|| vec![tag.to_owned()]),
            retention_days: self.retention_days,
            event: self.event.clone(),
            event_source: (!self.sources.is_empty()).then(|| OneOf {
                any: self.sources.clone(),
            }),
            url: (!urls.is_empty()).then_some(serde_json::Value::Array(urls)),
            prefill: self.prefill,
            ..AudienceRule::default()
        }
    }
}

impl Engagers {
    pub fn check(&self) -> Result<(), AudienceError> {
        check_name(&self.name)?;
        if self.domain.trim().is_empty() {
            return Err(invalid(
                "name the verified domain whose Pins people engaged with",
            ));
        }
        check_retention(self.retention_days)?;
        if let Some(kind) = &self.engagement_type
            && !ENGAGEMENT_TYPES.contains(&kind.as_str())
        {
            return Err(invalid(format!(
                "'{kind}' is not an engagement: use click, save, closeup, comment or like (or \
                 leave it out for all of them)"
            )));
        }
        if let Some(kind) = self.engager_type
            && !(1..=2).contains(&kind)
        {
            return Err(invalid(format!("the engager type is 1 or 2, not {kind}")));
        }
        if let Some(pin) = self.pins.iter().find(|p| !digits(p)) {
            return Err(invalid(format!("'{pin}' is not a Pin ID (digits only)")));
        }
        Ok(())
    }

    pub fn rule(&self) -> AudienceRule {
        let domain = self.domain.trim();
        AudienceRule {
            engagement_domain: (!domain.is_empty()).then(|| vec![domain.to_owned()]),
            engagement_type: self.engagement_type.clone(),
            engager_type: self.engager_type,
            retention_days: self.retention_days,
            pin_id: (!self.pins.is_empty()).then(|| self.pins.clone()),
            ..AudienceRule::default()
        }
    }
}

/// What a rule means, said as an admin would: "visited with checkout in the last 30 days,
/// URL contains /checkout", "saved Pins from shop.example.com in the last 90 days".
pub fn rule_in_words(audience_type: Option<&str>, rule: Option<&AudienceRule>) -> String {
    let empty = AudienceRule::default();
    let rule = rule.unwrap_or(&empty);
    let days = rule.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS);
    match audience_type.unwrap_or("") {
        "CUSTOMER_LIST" => match &rule.customer_list_id {
            Some(list) => format!("people in customer list {list}"),
            None => "people in a customer list".into(),
        },
        "ACTALIKE" => format!(
            "people like audience {}: {}% of {}",
            rule.seed_id.as_deref().unwrap_or_default().join(", "),
            rule.percentage.unwrap_or(0),
            rule.country.as_deref().unwrap_or("?")
        ),
        "VISITOR" => {
            let mut words = match &rule.event {
                Some(event) => format!("visited with {event}"),
                None => "visited the site".to_owned(),
            };
            words += &format!(" in the last {days} days");
            words += &urls_in_words(rule.url.as_ref());
            if let Some(sources) = rule.event_source.as_ref().filter(|s| !s.any.is_empty()) {
                words += &format!(", from {}", sources.any.join(" or "));
            }
            if let Some(tag) = rule.visitor_source_id.as_ref().and_then(|t| t.first()) {
                words += &format!(" (tag {tag})");
            }
            if rule.prefill == Some(false) {
                words += ", counted from its creation";
            }
            words
        }
        "ENGAGEMENT" => {
            let verb = match rule.engagement_type.as_deref() {
                Some("click") => "clicked Pins",
                Some("save") => "saved Pins",
                Some("closeup") => "looked closely at Pins",
                Some("comment") => "commented on Pins",
                Some("like") => "liked Pins",
                _ => "engaged with Pins",
            };
            let domain = match rule.engagement_domain.as_deref() {
                Some(domains) if !domains.is_empty() => domains.join(", "),
                _ => "a verified website".to_owned(),
            };
            let mut words = format!("{verb} from {domain} in the last {days} days");
            if let Some(pins) = rule.pin_id.as_ref().filter(|p| !p.is_empty()) {
                words += &format!(", only Pins {}", pins.join(", "));
            }
            if let Some(kind) = rule.engager_type {
                words += &format!(", engager type {kind}");
            }
            words
        }
        "" => "an audience".into(),
        other => format!("a {} audience", other.to_lowercase().replace('_', " ")),
    }
}

/// ", URL contains /checkout, URL is not ...": Pinterest's `url` as a string, an object, or an
/// array of objects, each `{operator: value}`.
fn urls_in_words(url: Option<&serde_json::Value>) -> String {
    let mut words = String::new();
    let mut say = |operator: &str, value: &serde_json::Value| {
        let value = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned);
        let verb = match operator {
            "=" => "is",
            "!=" => "is not",
            "contains" => "contains",
            "not_contains" => "does not contain",
            other => other,
        };
        words += &format!(", URL {verb} {value}");
    };
    let mut conditions = |value: &serde_json::Value| match value {
        serde_json::Value::Object(map) => map.iter().for_each(|(op, v)| say(op, v)),
        serde_json::Value::String(_) => say("=", value),
        _ => {}
    };
    match url {
        Some(serde_json::Value::Array(items)) => items.iter().for_each(&mut conditions),
        Some(value) => conditions(value),
        None => {}
    }
    words
}

/// The kind of audience in a word or two.
pub fn kind_in_words(audience_type: Option<&str>) -> &'static str {
    match audience_type.unwrap_or("") {
        "CUSTOMER_LIST" => "customer list",
        "ACTALIKE" => "lookalike",
        "VISITOR" => "site visitors",
        "ENGAGEMENT" => "people who engaged",
        _ => "other",
    }
}

/// The ad account's Pinterest tags, and the connection's ad account.
pub async fn tags(core: &Core, connection: &str) -> Result<Vec<ConversionTag>, PinterestError> {
    let client = core.client(connection).await?;
    let ad = client.session().connection().ad_account_id.clone();
    client.conversion_tags(&ad).await
}

/// The login's websites, and whether each is verified.
pub async fn websites(core: &Core, connection: &str) -> Result<Vec<UserWebsite>, PinterestError> {
    core.client(connection).await?.websites().await
}

/// "'Shop tag' (2612345678901, ACTIVE), ...": what a refusal lists.
fn tags_in_words(tags: &[ConversionTag]) -> String {
    if tags.is_empty() {
        return "the account has no Pinterest tag yet (make one in Ads Manager, Conversions)"
            .into();
    }
    let named: Vec<String> = tags
        .iter()
        .map(|t| {
            format!(
                "'{}' ({}, {})",
                t.name.as_deref().unwrap_or("unnamed"),
                t.id,
                t.status.as_deref().unwrap_or("status unknown")
            )
        })
        .collect();
    format!("its tags: {}", named.join(", "))
}

/// Makes a visitor audience: the tag must be one of the ad account's, and an archived one
/// needs the user's confirmation.
pub async fn create_visitors(
    core: &Core,
    connection: &str,
    request: &Visitors,
) -> Result<Audience, AudienceError> {
    request.check()?;
    let client = core.client(connection).await?;
    let ad = client.session().connection().ad_account_id.clone();
    let tags = client.conversion_tags(&ad).await?;
    let tag_id = request.tag.trim();
    let Some(tag) = tags.iter().find(|t| t.id == tag_id) else {
        return Err(invalid(format!(
            "tag {tag_id} is not one of ad account {ad}'s Pinterest tags; {}",
            tags_in_words(&tags)
        )));
    };
    if tag.is_archived() && !request.archived_tag_confirmed {
        return Err(AudienceError::ArchivedTag {
            tag: format!(
                "'{}' ({})",
                tag.name.as_deref().unwrap_or("unnamed"),
                tag.id
            ),
        });
    }
    let audience = NewAudience::by_rule(
        request.name.trim(),
        "VISITOR",
        request.rule(),
        request.description.clone(),
    );
    made(core, &ad, client.create_audience(&ad, &audience).await?).await
}

/// Makes an engagement audience on one of the login's verified domains.
pub async fn create_engagers(
    core: &Core,
    connection: &str,
    request: &Engagers,
) -> Result<Audience, AudienceError> {
    request.check()?;
    let client = core.client(connection).await?;
    let ad = client.session().connection().ad_account_id.clone();
    let websites = client.websites().await?;
    let domain = request.domain.trim();
    let verified: Vec<&str> = websites
        .iter()
        .filter(|w| w.is_verified())
        .map(|w| w.website.as_str())
        .collect();
    let listed = if verified.is_empty() {
        "none of the login's websites is verified yet".to_owned()
    } else {
        format!("verified: {}", verified.join(", "))
    };
    match websites
        .iter()
        .find(|w| w.website.eq_ignore_ascii_case(domain))
    {
        Some(site) if site.is_verified() => {}
        Some(site) => {
            return Err(invalid(format!(
                "{domain} is not verified with Pinterest (its status: {}); claim and verify it \
                 in Pinterest's business settings (Settings, Claimed accounts, Websites), then \
                 try again; {listed}",
                site.status.as_deref().unwrap_or("unknown")
            )));
        }
        None => {
            return Err(invalid(format!(
                "{domain} is not one of this login's websites; claim and verify it in \
                 Pinterest's business settings (Settings, Claimed accounts, Websites); {listed}"
            )));
        }
    }
    let audience = NewAudience::by_rule(
        request.name.trim(),
        "ENGAGEMENT",
        request.rule(),
        request.description.clone(),
    );
    made(core, &ad, client.create_audience(&ad, &audience).await?).await
}

async fn made(core: &Core, ad: &str, audience: Audience) -> Result<Audience, AudienceError> {
    let (ad, id) = (ad.to_owned(), audience.id.clone());
    core.store.call(move |s| s.made_audience(&ad, &id)).await?;
    Ok(audience)
}

/// What an edit changes; unset fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AudienceEdit {
    pub name: Option<String>,
    pub description: Option<String>,
    pub retention_days: Option<u64>,
}

/// Changes an audience's name, description or (for visitors and engagers) how long people
/// stay in it. The rule goes back whole, with the new retention.
pub async fn edit_audience(
    core: &Core,
    connection: &str,
    audience_id: &str,
    edit: &AudienceEdit,
) -> Result<Audience, AudienceError> {
    if edit == &AudienceEdit::default() {
        return Err(invalid(
            "say what to change: a name, a description or the retention days",
        ));
    }
    if let Some(name) = &edit.name {
        check_name(name)?;
    }
    check_retention(edit.retention_days)?;
    let client = core.client(connection).await?;
    let ad = client.session().connection().ad_account_id.clone();
    let rule = match edit.retention_days {
        None => None,
        Some(days) => {
            let current = match client.audience(&ad, audience_id).await {
                Ok(audience) => audience,
                Err(PinterestError::Api(e)) if e.status == 404 => {
                    return Err(invalid(format!(
                        "there is no audience {audience_id} in ad account {ad}"
                    )));
                }
                Err(e) => return Err(e.into()),
            };
            let kind = current.audience_type.as_deref().unwrap_or("");
            if !matches!(kind, "VISITOR" | "ENGAGEMENT") {
                return Err(invalid(format!(
                    "audience {audience_id} is a {} audience: only site visitors and people \
                     who engaged are kept for a number of days",
                    kind_in_words(Some(kind))
                )));
            }
            let mut rule = current.rule.unwrap_or_default();
            rule.retention_days = Some(days);
            Some(rule)
        }
    };
    let update = AudienceUpdate::update(
        edit.name.as_ref().map(|n| n.trim().to_owned()),
        edit.description.clone(),
        rule,
    );
    Ok(client.update_audience(&ad, audience_id, &update).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visitor_rule_holds_exactly_what_was_asked() {
        let asked = Visitors {
            name: "Checkout".into(),
            tag: "2612345678901".into(),
            event: Some("checkout".into()),
            retention_days: Some(30),
            urls: vec![UrlRule::Contains("/checkout".into())],
            ..Visitors::default()
        };
        asked.check().unwrap();
        let rule = serde_json::to_value(asked.rule()).unwrap();
        assert_eq!(
            rule,
            serde_json::json!({
                "visitor_source_id": "2612345678901",
                "retention_days": 30,
                "event": "checkout",
                "url": [{"contains": "/checkout"}],
            })
        );
        assert_eq!(
            rule_in_words(Some("VISITOR"), Some(&asked.rule())),
            "visited with checkout in the last 30 days, URL contains /checkout (tag 2612345678901)"
        );
        let bare = Visitors {
            name: "All".into(),
            tag: "1".into(),
            ..Visitors::default()
        };
        assert_eq!(
            serde_json::to_value(bare.rule()).unwrap(),
            serde_json::json!({"visitor_source_id": "1"}),
            "Pinterest's defaults hold for what is not said"
        );
    }

    #[test]
    fn bad_rules_are_refused_before_anything_is_sent() {
        let visitors = |f: fn(&mut Visitors)| {
            let mut v = Visitors {
                name: "V".into(),
                tag: "123".into(),
                ..Visitors::default()
            };
            f(&mut v);
            v.check().map_err(|e| e.to_string())
        };
        assert!(
            visitors(|v| v.retention_days = Some(541))
                .unwrap_err()
                .contains("1 to 540")
        );
        assert!(visitors(|v| v.retention_days = Some(0)).is_err());
        assert!(
            visitors(|v| v.tag = "shop".into())
                .unwrap_err()
                .contains("tag ID")
        );
        assert!(
            visitors(|v| v.sources = vec!["email".into()])
                .unwrap_err()
                .contains("web")
        );
        assert!(visitors(|v| v.event = Some("Buy Now".into())).is_err());
        assert!(visitors(|v| v.event = Some("partner_event_7".into())).is_ok());
        let engagers = |kind: &str| Engagers {
            name: "E".into(),
            domain: "shop.example.com".into(),
            engagement_type: Some(kind.into()),
            ..Engagers::default()
        };
        assert!(engagers("save").check().is_ok());
        let said = engagers("share").check().unwrap_err().to_string();
        assert!(
            said.contains("click, save, closeup, comment or like"),
            "{said}"
        );
        assert_eq!(
            rule_in_words(
                Some("ENGAGEMENT"),
                Some(
                    &Engagers {
                        retention_days: Some(90),
                        ..engagers("save")
                    }
                    .rule()
                )
            ),
            "saved Pins from shop.example.com in the last 90 days"
        );
    }
}
