//! What the app tells the user outside any one screen: a stack of notices in the corner that
//! never moves the layout. Information fades after a few seconds; an error stays until it is
//! dismissed or what it is about is resolved (a connection reconnected). Every notice stays in
//! the history, newest first.

use std::time::{Duration, Instant};

/// How long a notice that is not an error stays in the corner.
pub const FADES_AFTER: Duration = Duration::from_secs(8);
/// Notices kept in the history.
const KEPT: usize = 100;

#[derive(Clone, Debug)]
pub struct Notice {
    pub id: u64,
    pub text: String,
    pub is_error: bool,
    /// What it is about (a connection's name), so that resolving that clears it.
    pub subject: Option<String>,
    pub at: Instant,
    /// When it was posted, for the history (seconds since the epoch).
    pub posted: i64,
    pub dismissed: bool,
}

#[derive(Debug, Default)]
pub struct Notices {
    all: Vec<Notice>,
    next: u64,
    /// The history window is open.
    pub history_open: bool,
}

impl Notices {
    /// Posts a notice. The same text still shown is not stacked twice: it comes back to the
    /// top instead.
    pub fn push(&mut self, text: String, is_error: bool, subject: Option<String>) {
        let now = Instant::now();
        if let Some(same) = self
            .all
            .iter_mut()
            .find(|n| !n.dismissed && n.text == text && n.is_error == is_error)
        {
            same.at = now;
            return;
        }
        self.next += 1;
        self.all.push(Notice {
            id: self.next,
            text,
            is_error,
            subject,
            at: now,
            posted: crate::os::now(),
            dismissed: false,
        });
        if self.all.len() > KEPT {
            self.all.remove(0);
        }
    }

    /// The notices in the corner now, oldest first: the errors not dismissed, and what is not
    /// an error for a few seconds.
    pub fn shown(&self, now: Instant) -> impl Iterator<Item = &Notice> {
        self.all
            .iter()
            .filter(move |n| !n.dismissed && (n.is_error || now.duration_since(n.at) < FADES_AFTER))
    }

    /// Every notice, newest first.
    pub fn history(&self) -> impl Iterator<Item = &Notice> {
        self.all.iter().rev()
    }

    /// Whether a notice that fades is still shown: the window keeps drawing until it goes.
    pub fn fading(&self, now: Instant) -> bool {
        self.shown(now).any(|n| !n.is_error)
    }

    pub fn dismiss(&mut self, id: u64) {
        if let Some(notice) = self.all.iter_mut().find(|n| n.id == id) {
            notice.dismissed = true;
        }
    }

    /// Dismisses every error about `subject`: what it said is no longer so.
    pub fn resolve(&mut self, subject: &str) {
        for notice in &mut self.all {
            if notice.subject.as_deref() == Some(subject) {
                notice.dismissed = true;
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_stay_information_fades_and_resolving_clears_a_subject() {
        let mut notices = Notices::default();
        notices.push("Saved.".into(), false, None);
        notices.push("'EU' needs a reconnect".into(), true, Some("EU".into()));
        notices.push("'EU' needs a reconnect".into(), true, Some("EU".into()));
        let now = Instant::now();
        assert_eq!(notices.shown(now).count(), 2, "the same error once");
        let later = now + FADES_AFTER + Duration::from_secs(1);
        let shown: Vec<_> = notices.shown(later).map(|n| n.text.as_str()).collect();
        assert_eq!(shown, ["'EU' needs a reconnect"]);
        notices.resolve("EU");
        assert_eq!(notices.shown(later).count(), 0);
        assert_eq!(notices.history().count(), 2, "the history keeps both");
    }
}
