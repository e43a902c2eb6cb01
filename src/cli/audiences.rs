//! `lookalike`, `share` and `reach`: what admins do next with a ready audience; `tags`,
//! `websites`, `visitors`, `engagers` and `audience edit`: audiences Pinterest builds by a rule.

use super::args::{AudienceCommand, EngagerArgs, VisitorArgs};
use super::text::emit;
use crate::audiences::{AudienceEdit, Engagers, Lookalike, UrlRule, Visitors};
use crate::context::Core;
use crate::display::printable;
use crate::pinterest::Audience;

fn open_core() -> anyhow::Result<Core> {
    super::upload::open_core(400)
}

pub async fn lookalike(connection: &str, request: &Lookalike) -> anyhow::Result<()> {
    let core = open_core()?;
    let audience = crate::audiences::create_lookalike(&core, connection, request).await?;
    Ok(emit(&format!(
        "Made lookalike audience {} \"{}\" ({}); Pinterest builds it over the next hours: \
         `audience-desk lists {connection}` shows its status.\n",
        audience.id,
        audience.name.as_deref().unwrap_or(""),
        audience.status.as_deref().unwrap_or("status unknown")
    ))?)
}

pub async fn share(
    connection: &str,
    audience: &str,
    with: &[String],
    revoke: bool,
) -> anyhow::Result<()> {
    let core = open_core()?;
    let holders = crate::audiences::share(&core, connection, audience, with, revoke).await?;
    let verb = if revoke { "Revoked" } else { "Shared" };
    let mut out = format!(
        "{verb} audience {audience} {} {}.\n",
        if revoke { "from" } else { "with" },
        with.join(", ")
    );
    out += &match holders.as_slice() {
        [] => "No other ad account has it now.\n".to_owned(),
        holders => format!(
            "Shared now with: {}.\n",
            holders
                .iter()
                .map(|h| match &h.account_name {
                    Some(name) if !name.is_empty() => format!("{} ({name})", h.account_id),
                    _ => h.account_id.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Ok(emit(&out)?)
}

pub async fn reach(connection: &str, audience: &str, json: bool) -> anyhow::Result<()> {
    let core = open_core()?;
    let reach = crate::audiences::take_reach(&core, connection, audience).await?;
    if json {
        return Ok(emit(&(serde_json::to_string_pretty(&reach)? + "\n"))?);
    }
    Ok(emit(&format!(
        "Audience {audience} {}, by Pinterest's estimate of today (it changes from day to day).\n",
        crate::audiences::describe_reach(Some(&reach), "READY")
    ))?)
}

pub async fn tags(connection: &str, json: bool) -> anyhow::Result<()> {
    let core = open_core()?;
    let tags = crate::audiences::tags(&core, connection).await?;
    if json {
        return Ok(emit(&(serde_json::to_string_pretty(&tags)? + "\n"))?);
    }
    if tags.is_empty() {
        return Ok(emit(
            "The ad account has no Pinterest tag yet; make one in Ads Manager (Conversions).\n",
        )?);
    }
    let mut out = format!(
        "{:<16} {:<32} {:<10} {}\n",
        "ID", "NAME", "STATUS", "LAST FIRED"
    );
    for tag in &tags {
        out += &format!(
            "{:<16} {:<32} {:<10} {}\n",
            tag.id,
            printable(tag.name.as_deref().unwrap_or("")),
            tag.status.as_deref().unwrap_or(""),
            tag.last_fired_time_ms
                .map_or("never".to_owned(), |ms| crate::display::timestamp(
                    ms / 1000
                ))
        );
    }
    Ok(emit(&out)?)
}

pub async fn websites(connection: &str, json: bool) -> anyhow::Result<()> {
    let core = open_core()?;
    let sites = crate::audiences::websites(&core, connection).await?;
    if json {
        return Ok(emit(&(serde_json::to_string_pretty(&sites)? + "\n"))?);
    }
    if sites.is_empty() {
        return Ok(emit(
            "The login has no website yet; claim one in Pinterest's business settings \
             (Settings, Claimed accounts, Websites).\n",
        )?);
    }
    let mut out = format!("{:<40} {}\n", "WEBSITE", "VERIFIED");
    for site in &sites {
        let verified = match (site.is_verified(), &site.verified_at) {
            (true, Some(at)) => format!("yes, {at}"),
            (true, None) => "yes".to_owned(),
            (false, _) => format!(
                "no ({})",
                site.status.as_deref().unwrap_or("status unknown")
            ),
        };
        out += &format!("{:<40} {verified}\n", printable(&site.website));
    }
    Ok(emit(&out)?)
}

pub async fn visitors(args: VisitorArgs) -> anyhow::Result<()> {
    let core = open_core()?;
    let urls = (args.url_is.into_iter().map(UrlRule::Is))
        .chain(args.url_contains.into_iter().map(UrlRule::Contains))
        .chain(args.url_not_contains.into_iter().map(UrlRule::NotContains))
        .collect();
    let request = Visitors {
        name: args.name,
        description: args.description,
        tag: args.tag,
        event: args.event,
        retention_days: args.retention_days,
        urls,
        sources: args.source,
        prefill: args.no_prefill.then_some(false),
        archived_tag_confirmed: args.confirm_archived_tag,
    };
    let made = crate::audiences::create_visitors(&core, &args.connection, &request).await?;
    made_audience(&args.connection, &made, args.json)
}

pub async fn engagers(args: EngagerArgs) -> anyhow::Result<()> {
    let core = open_core()?;
    let request = Engagers {
        name: args.name,
        description: args.description,
        domain: args.domain,
        engagement_type: args.engagement,
        engager_type: args.engager_type,
        retention_days: args.retention_days,
        pins: args.pins,
    };
    let made = crate::audiences::create_engagers(&core, &args.connection, &request).await?;
    made_audience(&args.connection, &made, args.json)
}

fn made_audience(connection: &str, audience: &Audience, json: bool) -> anyhow::Result<()> {
    if json {
        return Ok(emit(&(serde_json::to_string_pretty(audience)? + "\n"))?);
    }
    Ok(emit(&format!(
        "Made audience {} \"{}\": {}. Pinterest fills it over the next hours \
         ({}); `audience-desk lists {connection}` shows it.\n",
        audience.id,
        printable(audience.name.as_deref().unwrap_or("")),
        crate::audiences::rule_in_words(audience.audience_type.as_deref(), audience.rule.as_ref()),
        audience.status.as_deref().unwrap_or("status unknown")
    ))?)
}

pub async fn audience(action: AudienceCommand) -> anyhow::Result<()> {
    let AudienceCommand::Edit {
        connection,
        audience_id,
        name,
        description,
        retention_days,
        json,
    } = action;
    let core = open_core()?;
    let edit = AudienceEdit {
        name,
        description,
        retention_days,
    };
    let changed = crate::audiences::edit_audience(&core, &connection, &audience_id, &edit).await?;
    if json {
        return Ok(emit(&(serde_json::to_string_pretty(&changed)? + "\n"))?);
    }
    Ok(emit(&format!(
        "Audience {} is now \"{}\": {}.\n",
        changed.id,
        printable(changed.name.as_deref().unwrap_or("")),
        crate::audiences::rule_in_words(changed.audience_type.as_deref(), changed.rule.as_ref())
    ))?)
}
