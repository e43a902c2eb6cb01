//! `lookalike` and `share`: what admins do next with a ready audience.

use super::text::emit;
use crate::audiences::Lookalike;
use crate::context::Core;

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
