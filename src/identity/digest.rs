use std::fmt;

use sha2::block_api::compress256;
use sha2::{Digest as _, Sha256};

/// A SHA-256 digest: what Pinterest receives for every identity.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// Lowercase hex, the form Pinterest expects.
    pub fn to_hex(&self) -> String {
        let mut out = [0u8; 64];
        self.write_hex(&mut out);
        out.iter().map(|&b| b as char).collect()
    }

    /// Lowercase hex into a buffer: the hot path of writing and uploading digests, where the
    /// crate's vectorised encoder is several times faster than a table.
    pub fn write_hex(&self, out: &mut [u8; 64]) {
        // 32 bytes always fill 64 digits exactly, so the length check cannot fail.
        const_hex::encode_to_slice(self.0, out).expect("64 digits for 32 bytes");
    }

    /// Parses 64 hex digits in any case; anything else is `None`.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        const_hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

// Digests are identities in another form; keep them out of logs by default.
impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({}…)", &self.to_hex()[..8])
    }
}

/// SHA-256's initial state (FIPS 180-4, 5.3.3).
const INITIAL_STATE: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// SHA-256 of the UTF-8 bytes of a normalized value.
///
/// Nearly every identity is shorter than 56 bytes and so fits one padded block; building that
/// block here and calling the crate's compression function directly halves the cost of the
/// general streaming hasher. Longer values take the general path. A property test holds both
/// paths to `Sha256::digest`.
pub fn sha256(normalized: &str) -> Digest {
    let bytes = normalized.as_bytes();
    if bytes.len() > 55 {
        return Digest(Sha256::digest(bytes).into());
    }
    let mut block = [0u8; 64];
    block[..bytes.len()].copy_from_slice(bytes);
    block[bytes.len()] = 0x80;
    block[56..].copy_from_slice(&(bytes.len() as u64 * 8).to_be_bytes());
    let mut state = INITIAL_STATE;
    compress256(&mut state, &[block]);
    let mut out = [0u8; 32];
    for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    Digest(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_answers() {
        assert_eq!(
            sha256("").to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    proptest! {
        #[test]
        fn hex_is_two_lowercase_digits_per_byte(bytes in proptest::array::uniform32(any::<u8>())) {
            let digest = Digest(bytes);
            let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            prop_assert_eq!(digest.to_hex(), expected);
            prop_assert_eq!(Digest::from_hex(&digest.to_hex().to_uppercase()), Some(digest));
        }

        #[test]
        fn single_block_path_matches_the_streaming_hasher(text in "\\PC{0,80}") {
            let expected: [u8; 32] = Sha256::digest(text.as_bytes()).into();
            prop_assert_eq!(sha256(&text).0, expected);
        }

        #[test]
        fn every_length_around_the_block_boundary(len in 0usize..130) {
            let text = "x".repeat(len);
            let expected: [u8; 32] = Sha256::digest(text.as_bytes()).into();
            prop_assert_eq!(sha256(&text).0, expected);
        }
    }
}
