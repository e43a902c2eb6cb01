//! `audience-desk find`: where one person is, across every connection's lists.

use super::text::emit;
use crate::context::Core;
use crate::identity::Namespace;
use crate::privacy::Whereabouts;

pub fn find(value: &str, namespace: Option<Namespace>, json: bool) -> anyhow::Result<()> {
    let core = Core::open()?;
    let found = crate::privacy::find(&core, value, namespace)?;
    if json {
        return Ok(emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&found)?
        ))?);
    }
    let text: String = found.iter().map(describe).collect();
    Ok(emit(&text)?)
}

fn describe(found: &Whereabouts) -> String {
    let mut text = format!(
        "As {} (SHA-256 {}), hashed here; nothing was sent:\n",
        found.namespace.label(),
        found.digest
    );
    match found.lists.len() {
        0 => text += "  In no list this app filled.\n",
        n => {
            text += &format!(
                "  In {}:\n",
                crate::display::count(n as u64, "list", "lists")
            );
            for list in &found.lists {
                text += &format!(
                    "    '{}' (list {}, ad account {}, connection '{}'{})\n",
                    list.list_name,
                    list.list_id,
                    list.ad_account_id,
                    list.connection,
                    list.audience_id
                        .as_ref()
                        .map(|a| format!("; audience {a}"))
                        .unwrap_or_default()
                );
            }
        }
    }
    if !found.history.is_empty() {
        text += "  History:\n";
        for touched in &found.history {
            let by = match &touched.sync {
                Some(sync) => format!("job {} (sync '{sync}')", touched.job_id),
                None => format!("job {}", touched.job_id),
            };
            let direction = match touched.change {
                "removed" => "from",
                _ => "to",
            };
            text += &format!(
                "    {}  {} {direction} '{}' by {by}\n",
                crate::display::timestamp(touched.at),
                touched.change,
                touched.list_name
            );
        }
    }
    text
}
