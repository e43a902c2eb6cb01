//! What the user can do from the keyboard as well as with the mouse: each command's shortcut
//! and hint live here once, and the keyboard handler, the buttons' hints and the help texts
//! all read them.

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers};

use super::state::View;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    OpenFile,
    StartUpload,
    /// Stops what runs on the screen shown: a login being waited for, a job, a file's pass.
    Cancel,
    Show(View),
}

impl Command {
    /// Every command with a shortcut, for the keyboard handler.
    pub const ALL: [Command; 10] = [
        Command::OpenFile,
        Command::StartUpload,
        Command::Cancel,
        Command::Show(View::ALL[0]),
        Command::Show(View::ALL[1]),
        Command::Show(View::ALL[2]),
        Command::Show(View::ALL[3]),
        Command::Show(View::ALL[4]),
        Command::Show(View::ALL[5]),
        Command::Show(View::ALL[6]),
    ];

    pub fn shortcut(self) -> KeyboardShortcut {
        match self {
            Command::OpenFile => KeyboardShortcut::new(Modifiers::COMMAND, Key::O),
            Command::StartUpload => KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter),
            Command::Cancel => KeyboardShortcut::new(Modifiers::NONE, Key::Escape),
            Command::Show(view) => {
                let keys = [
                    Key::Num1,
                    Key::Num2,
                    Key::Num3,
                    Key::Num4,
                    Key::Num5,
                    Key::Num6,
                    Key::Num7,
                ];
                let at = View::ALL.iter().position(|v| *v == view).unwrap_or(0);
                KeyboardShortcut::new(Modifiers::COMMAND, keys[at])
            }
        }
    }

    /// The shortcut as the hints spell it. Written out rather than egui's formatting, whose
    /// macOS symbols the bundled fonts lack.
    pub fn keys(self) -> String {
        let shortcut = self.shortcut();
        let key = match shortcut.logical_key {
            Key::Escape => "Esc",
            Key::Enter => "Enter",
            other => other.name(),
        };
        if shortcut.modifiers.command {
            let command = if cfg!(target_os = "macos") {
                "Cmd"
            } else {
                "Ctrl"
            };
            format!("{command}+{key}")
        } else {
            key.to_owned()
        }
    }

    /// What a button's hover text says, shortcut included.
    pub fn hint(self) -> String {
        let what = match self {
            Command::OpenFile => "Open a customer file, or drop one on the window",
            Command::StartUpload => "Plan, then send in the background",
            Command::Cancel => "Stop sending; what was acknowledged stays in the list",
            Command::Show(view) => view.title(),
        };
        format!("{what} ({})", self.keys())
    }

    /// Pressed this frame. Esc is left to a text field being typed in.
    pub fn pressed(self, input: &egui::InputState, typing: bool) -> bool {
        let shortcut = self.shortcut();
        if !shortcut.modifiers.command && typing {
            return false;
        }
        input.modifiers.command == shortcut.modifiers.command
            && input.key_pressed(shortcut.logical_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shortcut_is_distinct_and_spelled_out() {
        let shortcuts: std::collections::BTreeSet<String> =
            Command::ALL.iter().map(|c| c.keys()).collect();
        assert_eq!(shortcuts.len(), Command::ALL.len());
        if !cfg!(target_os = "macos") {
            assert_eq!(Command::OpenFile.keys(), "Ctrl+O");
            assert_eq!(Command::Show(View::Jobs).keys(), "Ctrl+2");
            assert_eq!(
                Command::Cancel.hint(),
                format!(
                    "{} (Esc)",
                    "Stop sending; what was acknowledged stays in the list"
                )
            );
        }
    }
}
