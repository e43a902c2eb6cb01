//! The identity rules over arbitrary text, per namespace. Properties: no panic; an accepted
//! value normalizes to itself again (normalizing is idempotent); what is sent is 64 lowercase
//! hex digits.
#![no_main]

use audience_desk::identity::{Namespace, Normalized, Normalizer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, raw)) = data.split_first() else {
        return;
    };
    let Ok(raw) = std::str::from_utf8(raw) else {
        return;
    };
    let namespace = [
        Namespace::Email,
        Namespace::EmailSha256,
        Namespace::Gaid,
        Namespace::Idfa,
    ][usize::from(which % 4)];
    let mut normalizer = Normalizer::new();
    let Ok(Some(normalized)) = normalizer.apply(namespace, raw) else {
        return;
    };
    let hex = normalized.digest().to_hex();
    assert_eq!(hex.len(), 64);
    assert!(hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')), "{hex}");
    let text = normalized.to_text();
    let digest = normalized.digest();
    let mut again = Normalizer::new();
    match again.apply(namespace, &text) {
        Ok(Some(twice)) => {
            assert_eq!(twice.digest(), digest, "{raw:?} -> {text:?}");
            if let Normalized::Plain(t) = twice {
                assert_eq!(t, text, "{raw:?}");
            }
        }
        other => panic!("{raw:?} -> {text:?} -> {other:?}"),
    }
});
