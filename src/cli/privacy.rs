//! `audience-desk find`, `suppress` and `erase`: people's rights over what the app sent.

use std::sync::Arc;

use super::args::{EraseArgs, SuppressCommand};
use super::text::emit;
use crate::context::Core;
use crate::display::{count, group, local_time, printable};
use crate::identity::Namespace;
use crate::privacy::{Receipt, Whereabouts};
use crate::source::{Preview, PreviewOptions};
use crate::store::ErasedIdentity;
use crate::upload::Control;

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

pub fn suppress(action: SuppressCommand) -> anyhow::Result<()> {
    let core = Core::open()?;
    match action {
        SuppressCommand::Add { file, reason } => {
            let (preview, _query) = file.load(0)?;
            let bar = super::progress::bar(preview.size, "reading");
            let added = crate::privacy::suppress_file(&core, &preview, &reason, &mut |p| {
                super::progress::update(&bar, p)
            });
            bar.finish_and_clear();
            let added = added?;
            let counts: Vec<String> = added
                .counts
                .iter()
                .map(|(t, n)| {
                    format!(
                        "{} to the {}",
                        count(*n, "identity", "identities"),
                        t.label()
                    )
                })
                .collect();
            emit(&format!(
                "Suppression source {}: {} from {}. No upload or sync run sends them from now \
                 on; a mirror removes those its list holds.\n",
                added.id,
                if counts.is_empty() {
                    "nothing new (all were suppressed already)".to_owned()
                } else {
                    counts.join(", ")
                },
                printable(&added.label)
            ))?;
        }
        SuppressCommand::List { json } => {
            let list = crate::privacy::suppression(&core)?;
            if json {
                return Ok(emit(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&list)?
                ))?);
            }
            if list.sources.is_empty() {
                return Ok(emit("The suppression list is empty.\n")?);
            }
            let mut out = String::from("Suppressed:");
            for (list_type, n) in &list.counts {
                out += &format!(" {} ({})", group(*n), list_type.label());
            }
            out += "\n";
            out += &format!(
                "{:>4}  {:<16} {:<12} {}\n",
                "ID", "ADDED", "IDENTITIES", "SOURCE"
            );
            for source in &list.sources {
                let reason = if source.reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", printable(&source.reason))
                };
                out += &format!(
                    "{:>4}  {:<16} {:<12} {}{reason}\n",
                    source.id,
                    local_time(source.added_at),
                    group(source.counts.values().sum()),
                    printable(&source.label)
                );
            }
            emit(&out)?;
        }
        SuppressCommand::Remove { source } => {
            let removed = crate::privacy::unsuppress(&core, source)?;
            emit(&format!(
                "Suppression source {} ({}) removed; what no other source holds can be sent \
                 again.\n",
                removed.id,
                printable(&removed.label)
            ))?;
        }
    }
    Ok(())
}

pub async fn erase(args: EraseArgs) -> anyhow::Result<()> {
    let core = Arc::new(Core::open()?);
    if let Some(notice) = &core.notice {
        eprintln!("{notice}");
    }
    let erasure = match args.resume {
        Some(id) => id,
        None => {
            let mut people: Vec<ErasedIdentity> = Vec::new();
            for value in &args.values {
                for (_, list_type, digest) in crate::privacy::identities_of(value, args.namespace)?
                {
                    people.push(ErasedIdentity {
                        list_type,
                        digest: digest.to_hex(),
                    });
                }
            }
            if let Some(file) = &args.file {
                let options = PreviewOptions {
                    mappings: args.map.clone(),
                    sample_rows: 0,
                    ..PreviewOptions::default()
                };
                let preview = Preview::load(file, &options)?;
                people.extend(crate::privacy::identities_in_file(
                    &core,
                    &preview,
                    &mut |_| {},
                )?);
            }
            if people.is_empty() {
                anyhow::bail!(
                    "name the people to erase: values (audience-desk erase ann@example.com), or \
                     --file FILE"
                );
            }
            crate::privacy::start_erasure(&core, &people)?
        }
    };
    let control = Arc::new(Control::default());
    let interrupt = super::interrupt_on_ctrl_c(&control);
    let carried = crate::privacy::carry_out(&core, erasure, control).await;
    interrupt.abort();
    let (receipt, path) = carried?;
    if args.json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&receipt)?))?;
    } else {
        emit(&describe_receipt(&receipt, &path))?;
    }
    if !receipt.complete {
        anyhow::bail!(
            "erasure {erasure} is not finished; when the above is mended, finish it with: \
             audience-desk erase --resume {erasure}"
        );
    }
    Ok(())
}

fn describe_receipt(receipt: &Receipt, path: &std::path::Path) -> String {
    let mut out = format!(
        "Erasure {}: {}, suppressed from now on (suppression source {}).\n",
        receipt.erasure,
        count(receipt.identities.len() as u64, "identity", "identities"),
        receipt
            .suppression_source
            .map_or("none".to_owned(), |s| s.to_string())
    );
    if receipt.lists.is_empty() {
        out += "  No list this app filled holds them.\n";
    }
    for list in &receipt.lists {
        let acked: u64 = list
            .batches
            .iter()
            .filter(|b| b.state == "acked")
            .map(|b| b.records)
            .sum();
        out += &format!(
            "  '{}' (list {}, connection '{}'): {} removed, {}\n",
            printable(&list.list_name),
            list.list_id.as_deref().unwrap_or("?"),
            printable(&list.connection),
            group(acked),
            list.state.label()
        );
    }
    for pending in &receipt.pending {
        out += &format!("  Pending: {}\n", printable(pending));
    }
    out += &format!("Receipt: {}\n", path.display());
    out
}
