//! What demo mode and first-time users get to try without a file of their own.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// Writes a sample customer file (mixed case, whitespace, pre-hashed and invalid values,
/// duplicates, zero advertising IDs) and returns its path.
pub fn write_sample_file() -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join("audience-desk-demo");
    fs::create_dir_all(&dir)?;
    let path = dir.join("sample-customers.csv");
    let mut out = BufWriter::new(fs::File::create(&path)?);
    writeln!(out, "Email Address,GAID,IDFA,First name,Notes")?;
    let names = ["Jane", "omar", "LI", "Ana", "Sam", "Priya", "Noah", "Mia"];
    for i in 0u32..2500 {
        let name = names[i as usize % names.len()];
        let email = match i % 50 {
            7 => "not-an-email".to_owned(),
            13 => "0cc175b9c0f1b6a831c399e269772661".to_owned(),
            21 => String::new(),
            // A repeat of the row before, in other case: a duplicate after normalizing.
            29 => format!(
                "{}.{}@example.com",
                names[(i as usize - 1) % names.len()],
                i - 1
            ),
            _ => format!(" {}.{}@Example.COM ", name, i),
        };
        let gaid = match i % 40 {
            5 => "00000000-0000-0000-0000-000000000000".to_owned(),
            9 => String::new(),
            _ => format!(
                "{:08x}-8cf0-11bd-b23e-{:012x}",
                i * 7919,
                u64::from(i) * 104_729
            ),
        };
        let idfa = if i % 3 == 0 {
            format!(
                "{:08X}-5F4D-4C6E-9A8B-{:012X}",
                i * 31,
                u64::from(i) * 65_537
            )
        } else {
            String::new()
        };
        writeln!(out, "{email},{gaid},{idfa},{name},\"signed up, row {i}\"")?;
    }
    out.flush()?;
    Ok(path)
}
