use std::sync::atomic::AtomicBool;

use super::args::FileArgs;
use super::{progress, text};
use crate::prepare::prepare;
use crate::source::MemoryBudget;

pub fn run(args: &FileArgs, out: &std::path::Path) -> anyhow::Result<()> {
    let (preview, _query) = args.load(0)?;
    let plan = preview.scan_plan(&MemoryBudget::in_home(&crate::home::home_dir()))?;
    let bar = progress::bar(preview.size, "preparing");
    let report = prepare(
        &plan,
        out,
        &mut |p| progress::update(&bar, p),
        &AtomicBool::new(false),
    );
    bar.finish_and_clear();
    let report = report?;
    let mut out = text::summary(&report.summary) + "\n";
    for file in &report.files {
        out += &format!(
            "Wrote {} to {}\n",
            crate::display::count(file.digests, "digest", "digests"),
            file.path.display()
        );
    }
    out += &format!(
        "Wrote {} rejects to {}\n",
        text::group(report.rejects),
        report.rejects_path.display()
    );
    text::emit(&out)?;
    Ok(())
}
