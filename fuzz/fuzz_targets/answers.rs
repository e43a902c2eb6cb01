//! Pinterest's answers as the client reads them: bodies of every kind and rate-limit headers.
//! Properties: no panic; an error message is printable and at most 300 characters; a wait is
//! at most five minutes.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use audience_desk::pinterest::answer;
use audience_desk::pinterest::{Audience, CustomerList, Page, TokenAnswer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&status, body)) = data.split_first() else {
        return;
    };
    let error = answer::parse_error(400 + u16::from(status), Some("rid"), body);
    assert!(error.message.chars().count() <= 300);
    assert!(!error.message.chars().any(|c| c.is_control()), "{:?}", error.message);
    let _ = answer::decode::<Page<CustomerList>>("fuzz", body);
    let _ = answer::decode::<Page<Audience>>("fuzz", body);
    let _ = answer::decode::<TokenAnswer>("fuzz", body);
    if let Ok(text) = std::str::from_utf8(body) {
        let (retry_after, reset) = text.split_once('\n').unwrap_or((text, text));
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        for headers in [(Some(retry_after), None), (None, Some(reset)), (Some(retry_after), Some(reset))] {
            if let Some(wait) = answer::rate_limit_wait(headers.0, headers.1, now) {
                assert!(wait <= Duration::from_secs(300), "{headers:?} -> {wait:?}");
            }
        }
    }
});
