//! Ready-made schedules for `sync run NAME`, for those who would rather have the system run a
//! sync than keep `sync watch` or the app open: a crontab line, a systemd timer, a Windows
//! scheduled task.

use std::path::Path;

use super::settings::Schedule;
use crate::store::SecretPlace;

/// The period a schedule hint uses: the sync's own, or a quarter of an hour for syncs that
/// run by hand or on change (a scheduler cannot watch a file; `sync watch` can).
fn period_seconds(schedule: Schedule) -> u64 {
    match schedule {
        Schedule::Every { seconds } => seconds.max(60),
        Schedule::Manual | Schedule::OnChange => 15 * 60,
    }
}

/// A cron schedule for a period: exact for whole minutes under an hour, hours under a day and
/// whole days; otherwise the nearest of those, said in a comment.
fn cron_fields(seconds: u64) -> (String, Option<String>) {
    let minutes = (seconds / 60).max(1);
    let (fields, exact) = if minutes < 60 {
        (format!("*/{minutes} * * * *"), 60 % minutes == 0)
    } else if minutes < 24 * 60 {
        let hours = minutes / 60;
        (
            format!("0 */{hours} * * *"),
            minutes.is_multiple_of(60) && 24 % hours == 0,
        )
    } else {
        let days = minutes / (24 * 60);
        (
            format!("0 3 */{days} * *"),
            minutes.is_multiple_of(24 * 60) && days == 1,
        )
    };
    let note = (!exact)
        .then(|| "# cron cannot say this period exactly; this is the nearest it can".to_owned());
    (fields, note)
}

/// What a scheduled run needs to reach the home's secrets, by scheduler: cron starts a run
/// with almost no environment, so a keyring home's line names the session bus; systemd's user
/// manager and Windows' tasks run within the user's session.
struct SecretNeeds {
    /// Set before the command in a crontab line.
    cron_env: String,
    /// The line said before the crontab line.
    cron_note: String,
    unit_note: String,
    task_note: String,
}

fn secret_needs(secrets: Option<SecretPlace>, home: &Path) -> SecretNeeds {
    let file_note = |scheduler: &str| {
        format!(
            "# {scheduler}: this home keeps its secrets in {}, readable by you only; a run \
             needs no desktop session.\n",
            home.join(crate::store::SECRETS_FILE).display()
        )
    };
    match secrets {
        Some(SecretPlace::Keyring) => {
            let bus = format!("unix:path=/run/user/{}/bus", owner_uid(home));
            SecretNeeds {
                cron_env: format!("DBUS_SESSION_BUS_ADDRESS={bus} "),
                cron_note: format!(
                    "# Assumes your session's keyring is reachable at {bus} and unlocked while \
                     it runs (you are logged in, or the session lingers: loginctl \
                     enable-linger). For runs without a session, keep this home's secrets in \
                     a file first: audience-desk secrets move --to file\n"
                ),
                unit_note: "# Assumes the keyring of the session systemd --user runs in is \
                            unlocked while it runs.\n"
                    .into(),
                task_note: "# Assumes the task runs as you, where Credential Manager holds \
                            this home's secrets.\n"
                    .into(),
            }
        }
        Some(SecretPlace::File) | None => SecretNeeds {
            cron_env: String::new(),
            cron_note: file_note("cron"),
            unit_note: file_note("systemd"),
            task_note: file_note("Task Scheduler"),
        },
    }
}

#[cfg(unix)]
fn owner_uid(home: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(home).map_or(0, |m| m.uid())
}

#[cfg(not(unix))]
fn owner_uid(_home: &Path) -> u32 {
    0
}

/// The three schedules for `sync run NAME`, with the program and home to use, and what each
/// assumes to reach the home's secrets. Every name and path is quoted for the scheduler that
/// reads it, so a line runs exactly this sync whatever its name holds (spaces, quotes, `%`,
/// `$`, `&`, any script).
pub fn schedule_hints(
    name: &str,
    schedule: Schedule,
    program: &Path,
    home: &Path,
    secrets: Option<SecretPlace>,
) -> String {
    let needs = secret_needs(secrets, home);
    let seconds = period_seconds(schedule);
    let program_text = program.display().to_string();
    let home_text = home.display().to_string();
    let mut out = String::new();
    match schedule {
        Schedule::Every { .. } => {}
        Schedule::Manual | Schedule::OnChange => {
            out += &format!(
                "Sync '{name}' runs {}; these hints run it every 15 minutes (an unchanged file \
                 is skipped, nothing sent). To act on changes within seconds, keep \
                 `audience-desk sync watch` running instead.\n\n",
                schedule.describe()
            );
        }
    }
    out += &cron_hint(name, seconds, &program_text, home, &needs);
    out += &systemd_hint(name, seconds, &program_text, &home_text, &needs);
    out += &windows_hint(name, seconds, &program_text, &home_text, &needs);
    out
}

fn cron_hint(name: &str, seconds: u64, program: &str, home: &Path, needs: &SecretNeeds) -> String {
    use crate::display::shell_quote;
    let (fields, note) = cron_fields(seconds);
    let command = format!(
        "{}AUDIENCE_DESK_HOME={} {} sync run {} >> {} 2>&1",
        needs.cron_env,
        shell_quote(&home.display().to_string()),
        shell_quote(program),
        shell_quote(name),
        shell_quote(&home.join("sync.log").display().to_string())
    );
    let mut out = "# crontab (crontab -e):\n".to_owned() + &needs.cron_note;
    if let Some(note) = note {
        out += &note;
        out.push('\n');
    }
    out += &format!("{fields} {}\n\n", cron_escape(&command));
    out
}

/// Cron ends a command at an unescaped `%` (the rest becomes its input) and reads `\%` as `%`,
/// before the shell sees the line, quotes or not.
fn cron_escape(command: &str) -> String {
    command.replace('%', "\\%")
}

fn systemd_hint(
    name: &str,
    seconds: u64,
    program: &str,
    home: &str,
    needs: &SecretNeeds,
) -> String {
    let unit = format!(
        "audience-desk-sync-{}",
        name.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
    );
    let exec = [program, "sync", "run", name]
        .map(|arg| systemd_quote(arg).replace('$', "$$"))
        .join(" ");
    let environment = systemd_quote(&format!("{}={home}", crate::home::HOME_ENV));
    let described = specifiers_escaped(name);
    needs.unit_note.clone()
        + &format!(
            "# systemd (user units): ~/.config/systemd/user/{unit}.service\n\
             [Unit]\n\
             Description=Audience Desk sync {described}\n\n\
             [Service]\n\
             Type=oneshot\n\
             Environment={environment}\n\
             ExecStart={exec}\n\n\
             # ~/.config/systemd/user/{unit}.timer, then: systemctl --user enable --now {unit}.timer\n\
             [Unit]\n\
             Description=Run Audience Desk sync {described} {}\n\n\
             [Timer]\n\
             OnBootSec=5min\n\
             OnUnitActiveSec={seconds}s\n\
             Persistent=true\n\n\
             [Install]\n\
             WantedBy=timers.target\n\n",
            Schedule::Every { seconds }.describe()
        )
}

/// systemd expands `%` specifiers in every line of a unit; `%%` is a `%`.
fn specifiers_escaped(text: &str) -> String {
    text.replace('%', "%%")
}

/// One word of a unit's `ExecStart=` or `Environment=`: double-quoted with C escapes for `\`
/// and `"`, specifiers escaped (`$` is the caller's: only `ExecStart=` expands it).
fn systemd_quote(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{}\"", specifiers_escaped(&escaped))
}

fn windows_hint(
    name: &str,
    seconds: u64,
    program: &str,
    home: &str,
    needs: &SecretNeeds,
) -> String {
    // A task's name cannot hold these; the folder separator `\` would file it elsewhere.
    let task: String = format!("Audience Desk {name}")
        .chars()
        .map(|c| if "\\/:*?\"<>|".contains(c) { '-' } else { c })
        .collect();
    // Task Scheduler starts the program itself (no cmd.exe), which splits its arguments by
    // the usual Windows rules; PowerShell's single quotes carry every string as written.
    let arguments = ["sync", "run", name].map(windows_argument).join(" ");
    let minutes = (seconds / 60).max(1);
    needs.task_note.clone()
        + &format!(
            "# Windows Task Scheduler (PowerShell, as you): this home for your user, then the task\n\
             [Environment]::SetEnvironmentVariable('{}', {}, 'User')\n\
             Register-ScheduledTask -TaskName {} -Action (New-ScheduledTaskAction -Execute {} \
             -Argument {}) -Trigger (New-ScheduledTaskTrigger -Once -At (Get-Date) \
             -RepetitionInterval (New-TimeSpan -Minutes {minutes}))\n",
            crate::home::HOME_ENV,
            powershell_quote(home),
            powershell_quote(&task),
            powershell_quote(program),
            powershell_quote(&arguments),
        )
}

/// A PowerShell single-quoted string: nothing inside is expanded; a quote is doubled
/// (PowerShell takes the typographic single quotes for quotes too).
fn powershell_quote(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// One argument as a Windows program's start-up code splits a command line: in double quotes,
/// a quote escaped by a backslash, and backslashes doubled only where they precede a quote.
fn windows_argument(text: &str) -> String {
    let mut out = String::from("\"");
    let mut backslashes = 0;
    for c in text.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.extend(std::iter::repeat_n('\\', backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            c => {
                out.extend(std::iter::repeat_n('\\', backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.extend(std::iter::repeat_n('\\', backslashes * 2));
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hourly_sync_gets_an_exact_cron_line_a_timer_and_a_task() {
        let hints = schedule_hints(
            "spring list",
            Schedule::Every { seconds: 3600 },
            Path::new("/usr/bin/audience-desk"),
            Path::new("/home/ann/.local/share/audience-desk"),
            Some(SecretPlace::File),
        );
        assert!(
            hints.contains(
                "0 */1 * * * AUDIENCE_DESK_HOME=/home/ann/.local/share/audience-desk \
                 /usr/bin/audience-desk sync run 'spring list'"
            ),
            "{hints}"
        );
        assert!(hints.contains("OnUnitActiveSec=3600s"), "{hints}");
        assert!(
            hints.contains("audience-desk-sync-spring-list.timer"),
            "{hints}"
        );
        assert!(hints.contains("New-TimeSpan -Minutes 60"), "{hints}");
        assert!(!hints.contains("nearest"), "{hints}");
        assert!(hints.contains("needs no desktop session"), "{hints}");
    }

    #[test]
    fn a_keyring_home_gets_a_cron_line_that_reaches_the_session_bus() {
        let dir = tempfile::tempdir().unwrap();
        let hints = schedule_hints(
            "s",
            Schedule::Every { seconds: 3600 },
            Path::new("/usr/bin/audience-desk"),
            dir.path(),
            Some(SecretPlace::Keyring),
        );
        let uid = owner_uid(dir.path());
        let cron = hints.lines().find(|l| l.starts_with("0 */1")).unwrap();
        assert!(
            cron.starts_with(&format!(
                "0 */1 * * * DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/{uid}/bus "
            )),
            "{cron}"
        );
        assert!(hints.contains("secrets move --to file"), "{hints}");
    }

    #[test]
    fn periods_cron_cannot_say_are_flagged_and_on_change_syncs_are_told_about_watch() {
        let (fields, note) = cron_fields(7 * 60);
        assert_eq!(fields, "*/7 * * * *");
        assert!(note.is_some());
        let hints = schedule_hints(
            "s",
            Schedule::OnChange,
            Path::new("/opt/audience-desk"),
            Path::new("/h"),
            None,
        );
        assert!(hints.contains("sync watch"), "{hints}");
        assert!(hints.contains("*/15 * * * *"), "{hints}");
    }

    const HOSTILE: [&str; 8] = [
        "50%off list",
        "it's \"quoted\"",
        "a&calc&b",
        "$HOME `id` $(id) %h",
        "Ünïcödé ✓ 名前",
        "back\\slash\\",
        "‘curly’ quote",
        "tab\tand  spaces",
    ];

    fn line_after<'a>(hints: &'a str, start: &str) -> &'a str {
        hints
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line starting {start} in {hints}"))
    }

    /// What cron hands `sh -c`: the line after its five time fields, `\%` read as `%` and
    /// cut at the first `%` left.
    fn cron_command(line: &str) -> String {
        let command = line.splitn(6, ' ').nth(5).unwrap();
        let mut out = String::new();
        let mut chars = command.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&'%') => out.push(chars.next().unwrap()),
                '%' => break,
                c => out.push(c),
            }
        }
        out
    }

    #[cfg(unix)]
    #[test]
    fn crontab_lines_for_hostile_names_and_homes_run_that_sync_in_that_home() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin 100% $x & 'q'");
        std::fs::create_dir(&bin).unwrap();
        let program = bin.join("audience desk");
        std::fs::write(
            &program,
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$AUDIENCE_DESK_HOME/args\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let home = dir.path().join("home 50% $HOME & \"it's\"");
        std::fs::create_dir(&home).unwrap();
        for name in HOSTILE.iter().filter(|n| !n.contains('\t')) {
            let hints = schedule_hints(
                name,
                Schedule::Every { seconds: 3600 },
                &program,
                &home,
                Some(SecretPlace::File),
            );
            let command = cron_command(line_after(&hints, "0 */1"));
            let status = std::process::Command::new("sh")
                .arg("-c")
                .arg(&command)
                .env_clear()
                .env("PATH", "/usr/bin:/bin")
                .status()
                .unwrap();
            assert!(status.success(), "{name}: {command}");
            let args = std::fs::read_to_string(home.join("args")).unwrap();
            assert_eq!(args, format!("sync\nrun\n{name}\n"), "{command}");
            assert!(home.join("sync.log").exists(), "{command}");
        }
    }

    /// A unit line's value as systemd reads it: `%%` and (where `dollars`) `$$` undone, any
    /// other `%` or `$` refused, then split into words at unquoted spaces.
    fn systemd_words(value: &str, dollars: bool) -> Vec<String> {
        let mut plain = String::new();
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '%' => assert_eq!(chars.next(), Some('%'), "a specifier in {value}"),
                '$' if dollars => assert_eq!(chars.next(), Some('$'), "a variable in {value}"),
                _ => {}
            }
            plain.push(c);
        }
        let (mut words, mut word, mut quoted) = (Vec::new(), None::<String>, false);
        let mut chars = plain.chars();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', _) => {
                    quoted = !quoted;
                    word.get_or_insert_default();
                }
                ('\\', true) => {
                    let next = chars.next().unwrap();
                    assert!(matches!(next, '\\' | '"'), "escape \\{next} in {value}");
                    word.get_or_insert_default().push(next);
                }
                (' ', false) => words.extend(word.take()),
                (c, _) => word.get_or_insert_default().push(c),
            }
        }
        assert!(!quoted, "an open quote in {value}");
        words.extend(word);
        words
    }

    #[test]
    fn systemd_units_for_hostile_names_and_homes_run_that_sync_in_that_home() {
        let home = "/home/ann/my home 100% $HOME";
        for name in HOSTILE {
            let hints = schedule_hints(
                name,
                Schedule::Every { seconds: 3600 },
                Path::new("/opt/Audience Desk/audience-desk"),
                Path::new(home),
                None,
            );
            let exec = line_after(&hints, "ExecStart=").trim_start_matches("ExecStart=");
            assert_eq!(
                systemd_words(exec, true),
                ["/opt/Audience Desk/audience-desk", "sync", "run", name],
                "{exec}"
            );
            let env = line_after(&hints, "Environment=").trim_start_matches("Environment=");
            assert_eq!(
                systemd_words(env, false),
                [format!("AUDIENCE_DESK_HOME={home}")]
            );
            for description in hints.lines().filter(|l| l.starts_with("Description=")) {
                systemd_words(description, false);
            }
        }
    }

    /// A PowerShell single-quoted string at the start of `text`, and what follows it.
    fn powershell_string(text: &str) -> (String, &str) {
        let mut chars = text.char_indices().peekable();
        assert_eq!(chars.next().map(|(_, c)| c), Some('\''), "{text}");
        let quote = |c: char| matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}');
        let mut out = String::new();
        while let Some((i, c)) = chars.next() {
            if quote(c) {
                match chars.peek() {
                    Some(&(_, next)) if quote(next) => {
                        chars.next();
                        out.push(c);
                    }
                    _ => return (out, &text[i + c.len_utf8()..]),
                }
            } else {
                out.push(c);
            }
        }
        panic!("an open quote in {text}")
    }

    /// A Windows command line's arguments, split as a program's start-up code splits them.
    fn windows_words(line: &str) -> Vec<String> {
        let (mut words, mut word, mut quoted, mut backslashes) =
            (Vec::new(), None::<String>, false, 0);
        for c in line.chars() {
            match c {
                '\\' => backslashes += 1,
                '"' => {
                    let w = word.get_or_insert_default();
                    w.extend(std::iter::repeat_n('\\', backslashes / 2));
                    if backslashes % 2 == 1 {
                        w.push('"');
                    } else {
                        quoted = !quoted;
                    }
                    backslashes = 0;
                }
                ' ' | '\t' if !quoted => {
                    if let Some(w) = word.as_mut() {
                        w.extend(std::iter::repeat_n('\\', backslashes));
                    }
                    backslashes = 0;
                    words.extend(word.take());
                }
                c => {
                    let w = word.get_or_insert_default();
                    w.extend(std::iter::repeat_n('\\', backslashes));
                    w.push(c);
                    backslashes = 0;
                }
            }
        }
        if backslashes > 0 {
            word.get_or_insert_default()
                .extend(std::iter::repeat_n('\\', backslashes));
        }
        words.extend(word);
        words
    }

    #[test]
    fn windows_tasks_for_hostile_names_run_that_sync_and_nothing_else() {
        let home = r"C:\Users\Ann O'Neil\Audience Desk 100%";
        for name in HOSTILE {
            let hints = schedule_hints(
                name,
                Schedule::Every { seconds: 1800 },
                Path::new(r"C:\Program Files\Audience Desk\audience-desk.exe"),
                Path::new(home),
                None,
            );
            let register = line_after(&hints, "Register-ScheduledTask");
            let after = |flag: &str| {
                let at = register.find(flag).unwrap() + flag.len();
                powershell_string(&register[at..])
            };
            let (task, _) = after("-TaskName ");
            assert!(!task.contains(['\\', '/', '"']), "{task}");
            let (program, _) = after("-Execute ");
            assert_eq!(program, r"C:\Program Files\Audience Desk\audience-desk.exe");
            let (arguments, rest) = after("-Argument ");
            assert!(rest.starts_with(") -Trigger"), "{register}");
            assert_eq!(
                windows_words(&arguments),
                ["sync", "run", name],
                "{arguments}"
            );
            assert!(register.contains("-Minutes 30"), "{register}");
            let set_home = line_after(&hints, "[Environment]::SetEnvironmentVariable(");
            let at = set_home.find(", ").unwrap() + 2;
            assert_eq!(powershell_string(&set_home[at..]).0, home);
        }
    }
}
