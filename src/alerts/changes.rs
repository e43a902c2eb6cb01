//! Which messages a look at the subjects gives: one per change of state, one recovery. Pure,
//! so the rules are tested here without a store or a network.

use std::collections::{BTreeMap, BTreeSet};

use crate::store::{AlertMessage, AlertState, StateChange};

/// What a look found of one subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    /// Nothing wrong. `recovered` is the sentence to send when it was wrong before (`None`:
    /// going back to fine is not worth a message, as for a job resumed to its end).
    Fine { recovered: Option<String> },
    /// Something wrong: a short state ("failed", "stale") and the sentence to send.
    Trouble { state: String, message: String },
    /// Cannot be told now (running, refreshing): whatever was reported stands.
    Unknown,
}

/// One subject as a look found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// Stable key: "sync/3", "job/12", "connection/1", "audience/549.../2542...".
    pub key: String,
    /// The kind of subject, the first word of each event ("sync" in "sync_failed").
    pub kind: &'static str,
    /// The subject as people read it: "sync 'nightly'".
    pub subject: String,
    pub seen: Seen,
}

/// Compares a look with the states last reported: the states to record and the messages to
/// send. Subjects reported before and not seen at all any more (a sync removed, a job
/// resumed) are forgotten without a message. In a `baseline` look nothing is sent: what is
/// wrong is only taken as known.
pub fn compare(
    reported: &BTreeMap<String, AlertState>,
    observations: &[Observation],
    now: i64,
    baseline: bool,
) -> (Vec<StateChange>, Vec<AlertMessage>) {
    let mut changes = Vec::new();
    let mut messages = Vec::new();
    let mut seen_keys = BTreeSet::new();
    for observation in observations {
        seen_keys.insert(observation.key.as_str());
        let before = reported.get(&observation.key).map(|s| s.state.as_str());
        match (&observation.seen, before) {
            (Seen::Unknown, _) | (Seen::Fine { .. }, None) => {}
            (Seen::Trouble { state, .. }, Some(was)) if was == state => {}
            (Seen::Trouble { state, message }, _) => {
                changes.push(StateChange {
                    subject: observation.key.clone(),
                    state: Some(state.clone()),
                });
                messages.push(AlertMessage {
                    subject: observation.subject.clone(),
                    event: format!("{}_{state}", observation.kind),
                    state: state.clone(),
                    message: message.clone(),
                    created_at: now,
                });
            }
            (Seen::Fine { recovered }, Some(_)) => {
                changes.push(StateChange {
                    subject: observation.key.clone(),
                    state: None,
                });
                if let Some(sentence) = recovered {
                    messages.push(AlertMessage {
                        subject: observation.subject.clone(),
                        event: format!("{}_recovered", observation.kind),
                        state: "ok".into(),
                        message: sentence.clone(),
                        created_at: now,
                    });
                }
            }
        }
    }
    for gone in reported.keys().filter(|k| !seen_keys.contains(k.as_str())) {
        changes.push(StateChange {
            subject: gone.clone(),
            state: None,
        });
    }
    if baseline {
        messages.clear();
    }
    (changes, messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sync(seen: Seen) -> Observation {
        Observation {
            key: "sync/1".into(),
            kind: "sync",
            subject: "sync 'nightly'".into(),
            seen,
        }
    }

    fn trouble(state: &str) -> Seen {
        Seen::Trouble {
            state: state.into(),
            message: format!("it is {state}"),
        }
    }

    fn fine() -> Seen {
        Seen::Fine {
            recovered: Some("works again".into()),
        }
    }

    /// Plays looks in order against a record kept as the store keeps it; the events sent.
    fn play(looks: &[Seen]) -> Vec<String> {
        let mut reported = BTreeMap::new();
        let mut events = Vec::new();
        for seen in looks {
            let (changes, messages) = compare(&reported, &[sync(seen.clone())], 1, false);
            for change in changes {
                match change.state {
                    Some(state) => {
                        reported.insert(
                            change.subject,
                            AlertState {
                                state,
                                changed_at: 1,
                            },
                        );
                    }
                    None => {
                        reported.remove(&change.subject);
                    }
                }
            }
            events.extend(messages.into_iter().map(|m| m.event));
        }
        events
    }

    #[test]
    fn a_state_that_holds_is_reported_once_and_its_end_once() {
        let events = play(&[
            fine(),
            trouble("refused"),
            trouble("refused"),
            Seen::Unknown,
            trouble("refused"),
            fine(),
            fine(),
        ]);
        assert_eq!(events, ["sync_refused", "sync_recovered"]);
    }

    #[test]
    fn a_new_kind_of_trouble_is_a_new_message_and_fine_from_the_start_is_silent() {
        assert_eq!(
            play(&[trouble("failed"), trouble("refused"), fine()]),
            ["sync_failed", "sync_refused", "sync_recovered"]
        );
        assert!(play(&[fine(), Seen::Unknown, fine()]).is_empty());
    }

    #[test]
    fn an_end_without_a_recovery_sentence_is_silent_and_a_vanished_subject_forgotten() {
        let job = Seen::Fine { recovered: None };
        assert_eq!(play(&[trouble("failed"), job]), ["sync_failed"]);
        let reported = BTreeMap::from([(
            "job/9".to_owned(),
            AlertState {
                state: "failed".into(),
                changed_at: 1,
            },
        )]);
        let (changes, messages) = compare(&reported, &[], 2, false);
        assert_eq!(
            changes,
            [StateChange {
                subject: "job/9".into(),
                state: None
            }]
        );
        assert!(messages.is_empty());
    }

    #[test]
    fn a_baseline_records_without_sending() {
        let (changes, messages) = compare(&BTreeMap::new(), &[sync(trouble("stale"))], 1, true);
        assert_eq!(changes.len(), 1);
        assert!(messages.is_empty());
    }
}
