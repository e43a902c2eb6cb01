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
/// assumes to reach the home's secrets.
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
    let run = format!(
        "{} sync run {}",
        crate::display::shell_quote(&program_text),
        crate::display::shell_quote(name)
    );
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
    let (fields, note) = cron_fields(seconds);
    out += "# crontab (crontab -e):\n";
    out += &needs.cron_note;
    if let Some(note) = note {
        out += &note;
        out.push('\n');
    }
    out += &format!(
        "{fields} {}AUDIENCE_DESK_HOME={} {run} >> {} 2>&1\n\n",
        needs.cron_env,
        crate::display::shell_quote(&home_text),
        crate::display::shell_quote(&home.join("sync.log").display().to_string())
    );
    let unit = format!(
        "audience-desk-sync-{}",
        name.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
    );
    out += &needs.unit_note;
    out += &format!(
        "# systemd (user units): ~/.config/systemd/user/{unit}.service\n\
         [Unit]\n\
         Description=Audience Desk sync {name}\n\n\
         [Service]\n\
         Type=oneshot\n\
         Environment=AUDIENCE_DESK_HOME={home_text}\n\
         ExecStart={run}\n\n\
         # ~/.config/systemd/user/{unit}.timer, then: systemctl --user enable --now {unit}.timer\n\
         [Unit]\n\
         Description=Run Audience Desk sync {name} {}\n\n\
         [Timer]\n\
         OnBootSec=5min\n\
         OnUnitActiveSec={seconds}s\n\
         Persistent=true\n\n\
         [Install]\n\
         WantedBy=timers.target\n\n",
        Schedule::Every { seconds }.describe()
    );
    let (unit_word, modifier) = if seconds.is_multiple_of(86_400) {
        ("DAILY", seconds / 86_400)
    } else if seconds.is_multiple_of(3600) {
        ("HOURLY", seconds / 3600)
    } else {
        ("MINUTE", (seconds / 60).clamp(1, 1439))
    };
    out += &needs.task_note;
    out += &format!(
        "# Windows Task Scheduler (Command Prompt; set AUDIENCE_DESK_HOME for your user first):\n\
         schtasks /Create /SC {unit_word} /MO {modifier} /TN \"Audience Desk {}\" /TR \
         \"\\\"{}\\\" sync run \\\"{}\\\"\"\n",
        name.replace('"', ""),
        program_text,
        name.replace('"', "")
    );
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
        assert!(hints.contains("/SC HOURLY /MO 1"), "{hints}");
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
}
