//! The core speaks for both faces, so it never tells the user to type a command: its errors
//! say what is wrong and name the way out as data (`remedy::Remedy`), which the command line
//! words as a command and the window as a button. The command line's own code, the schedule
//! hints (commands by nature), the simulator's console and the remedies' own wording are
//! where commands are written.

use std::path::{Path, PathBuf};

/// Where command text belongs, under `src/`.
const COMMAND_PLACES: [&str; 5] = ["cli/", "remedy.rs", "syncs/hints.rs", "sim/", "main.rs"];

/// The text of every string literal in `source`, comments left out.
fn literals(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            // A char literal holding a quote, or a lifetime: not a string.
            '\'' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                    chars.next();
                } else if chars.clone().nth(1) == Some('\'') {
                    chars.next();
                }
            }
            '"' => {
                let mut text = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                text.push(escaped);
                            }
                        }
                        '"' => break,
                        c => text.push(c),
                    }
                }
                found.push(text);
            }
            _ => {}
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A command the user is told to type: the program's name with a command after it, or an
/// option spelled as on a command line.
fn tells_to_type(text: &str) -> bool {
    let option = text
        .match_indices("--")
        .any(|(at, _)| text[at + 2..].starts_with(|c: char| c.is_ascii_lowercase()));
    text.contains("audience-desk ") && !text.contains("audience-desk {command}") || option
}

#[test]
fn no_message_outside_the_command_line_tells_the_user_to_type_a_command() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if COMMAND_PLACES
            .iter()
            .any(|place| relative.starts_with(place))
        {
            continue;
        }
        let mut source = std::fs::read_to_string(&file).unwrap();
        // Unit tests may say anything.
        if let Some(at) = source.find("\n#[cfg(test)]\nmod tests") {
            source.truncate(at);
        }
        if relative.ends_with("/tests.rs") {
            continue;
        }
        for text in literals(&source) {
            if tells_to_type(&text) {
                found.push(format!("src/{relative}: {text:?}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "command text outside the command line:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_a_command_in_a_message() {
    let source = r#"
        // `audience-desk connect` in a comment is fine
        let m = format!("run `audience-desk connect {name}` first");
        let n = "use --new-list to make one";
        let ok = "a list of 1,000 -- more or less";
    "#;
    let bad: Vec<_> = literals(source)
        .into_iter()
        .filter(|t| tells_to_type(t))
        .collect();
    assert_eq!(bad.len(), 2, "{bad:?}");
}
