//! Where `prepare` writes, in a folder someone else may have prepared: links planted at every
//! name it has used or uses leave their targets untouched, a folder others can swap files in
//! is refused, and what a killed run left is cleared by the next.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};

use crate::common::files::{Case, said};

#[test]
fn links_planted_at_every_name_leave_their_targets_untouched() {
    let case = Case::new();
    let file = case.file("list.csv", b"email,gaid\na@x.com,x\nb@x.com,y\n");
    let out = case.out();
    fs::create_dir(&out).unwrap();
    let victim = case.file("victim.txt", b"precious");
    // The fixed names earlier versions wrote through, and the final names.
    for name in [
        ".EMAIL.txt.partial",
        ".rejects.csv.partial",
        "EMAIL.txt",
        "rejects.csv",
        "MAID.txt",
    ] {
        symlink(&victim, out.join(name)).unwrap();
    }
    let output = case.prepare(&file, &[]);
    assert!(output.status.success(), "{}", said(&output));
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    for name in ["EMAIL.txt", "rejects.csv"] {
        let meta = fs::symlink_metadata(out.join(name)).unwrap();
        assert!(meta.is_file(), "{name} is still a link");
        assert_eq!(meta.mode() & 0o777, 0o600, "{name}");
    }
    // A list type the file does not have: its stale file (here a link) goes, not its target.
    assert!(!out.join("MAID.txt").exists());
    assert!(victim.exists());
    assert_eq!(case.email_digests().len(), 2);
}

#[test]
fn a_folder_others_can_write_to_is_refused_unless_sticky() {
    let case = Case::new();
    let file = case.file("list.csv", b"email\na@x.com\n");
    let out = case.out();
    fs::create_dir(&out).unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o777)).unwrap();
    let output = case.prepare(&file, &[]);
    assert!(!output.status.success());
    assert!(
        said(&output).contains("can be written by other users"),
        "{}",
        said(&output)
    );
    assert_eq!(
        fs::read_dir(&out).unwrap().count(),
        0,
        "something was written"
    );

    // The sticky bit keeps others from replacing what is not theirs, as in /tmp.
    fs::set_permissions(&out, fs::Permissions::from_mode(0o1777)).unwrap();
    let output = case.prepare(&file, &[]);
    assert!(output.status.success(), "{}", said(&output));
}

#[test]
fn what_a_killed_run_left_is_cleared_by_the_next() {
    let case = Case::new();
    let file = case.file("list.csv", b"email\na@x.com\n");
    let out = case.out();
    fs::create_dir(&out).unwrap();
    let left = out.join(".EMAIL.txt.Xy12Ab.partial");
    fs::write(&left, vec![b'0'; 4096]).unwrap();
    let someone_elses = out.join(".notes.txt.partial");
    fs::write(&someone_elses, b"keep").unwrap();
    let output = case.prepare(&file, &[]);
    assert!(output.status.success(), "{}", said(&output));
    assert!(!left.exists());
    assert!(someone_elses.exists());
    let names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with(".EMAIL")), "{names:?}");
}
