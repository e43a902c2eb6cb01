//! The login listener's judgement of a request, over arbitrary paths and queries. Properties:
//! no panic; a code is accepted only from a request on the redirect path whose first `state`
//! is this login's and whose first `code` is not empty, and it is that code.
#![no_main]

use audience_desk::pinterest::{Callback, judge_callback};
use libfuzzer_sys::fuzz_target;

const STATE: &str = "4f1c0e9b";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (path, query) = text.split_once('?').unwrap_or((text, ""));
    let first = |key: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    match judge_callback(path, query, "/", STATE) {
        Callback::Elsewhere => assert_ne!(path, "/"),
        Callback::NotThisLogin => assert_ne!(first("state").as_deref(), Some(STATE)),
        Callback::Answer { outcome, .. } => {
            assert_eq!(path, "/");
            assert_eq!(first("state").as_deref(), Some(STATE));
            match outcome {
                Ok(code) => {
                    assert!(!code.is_empty());
                    assert_eq!(first("error"), None);
                    assert_eq!(first("code").as_deref(), Some(code.as_str()));
                }
                Err(error) => {
                    let said = error.to_string();
                    assert!(!said.chars().any(|c| c.is_control()), "{said:?}");
                }
            }
        }
    }
});
