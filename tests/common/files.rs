//! `inspect` and `prepare` run as a user runs them, on files written to a folder of their own.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary; a panic (exit code 101) fails the test whatever it expected.
pub fn run(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_audience-desk"))
        .args(args)
        .output()
        .expect("run audience-desk");
    assert_ne!(output.status.code(), Some(101), "panicked: {output:?}");
    output
}

/// Everything a command printed, standard output then standard error.
pub fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub struct Case {
    pub dir: tempfile::TempDir,
}

impl Case {
    pub fn new() -> Self {
        Case {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        path
    }

    /// Where `prepare` writes.
    pub fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    pub fn prepare(&self, file: &Path, extra: &[&str]) -> Output {
        let out = self.out();
        let mut args = vec![
            "prepare",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run(&args)
    }

    pub fn inspect(&self, file: &Path) -> Output {
        run(&["inspect", file.to_str().unwrap()])
    }

    /// The email digests `prepare` wrote, sorted.
    pub fn email_digests(&self) -> Vec<String> {
        let text = fs::read_to_string(self.out().join("EMAIL.txt")).unwrap_or_default();
        let mut digests: Vec<String> = text.lines().map(str::to_owned).collect();
        digests.sort();
        digests
    }

    pub fn rejects(&self) -> String {
        fs::read_to_string(self.out().join("rejects.csv")).unwrap()
    }
}
