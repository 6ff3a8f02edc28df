//! ASCII case folding eight bytes at a time: action names and their patterns ignore ASCII
//! case, and comparing or hashing them byte by byte was a large part of a decision (see
//! [`eq_folded`]).

/// Whether `text` equals `lower`, a string without ASCII capitals, when ASCII case is
/// ignored: what `text.eq_ignore_ascii_case(lower)` says, eight bytes at a time. A
/// case-insensitive glob's literals and an index's keys are stored in lower case, so only
/// the text needs folding. The byte-by-byte comparison was the largest part of matching
/// action patterns: with this, a W-directory check takes 2,454 instructions instead of 2,560
/// (callgrind), and W-policies' allow at 10 statements 88 ns instead of 105 (stop 14, three
/// alternating runs).
#[inline]
pub(crate) fn eq_folded(text: &[u8], lower: &[u8]) -> bool {
    if text.len() != lower.len() {
        return false;
    }
    let (words, rest) = (text.chunks_exact(8), lower.chunks_exact(8));
    let (text_tail, lower_tail) = (words.remainder(), rest.remainder());
    words.zip(rest).all(|(t, l)| lower_word(word(t)) == word(l))
        && text_tail
            .iter()
            .zip(lower_tail)
            .all(|(t, l)| t.to_ascii_lowercase() == *l)
}

/// Eight bytes as one little-endian word.
#[inline]
fn word(bytes: &[u8]) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(bytes);
    u64::from_le_bytes(w)
}

/// `w`'s eight bytes with ASCII capitals lower-cased, all at once: a byte gets bit 5 set
/// when its low seven bits are in `'A'..='Z'` and its high bit is clear (other bytes,
/// including those of multi-byte UTF-8 sequences, are left alone). The additions cannot carry
/// from one byte into the next: a 7-bit value plus at most 0x3f stays below 0x100.
#[inline]
fn lower_word(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let low7 = w & (0x7f * ONES);
    let from_a = low7 + (0x80 - u64::from(b'A')) * ONES;
    let past_z = low7 + (0x7f - u64::from(b'Z')) * ONES;
    let capital = from_a & !past_z & !w & (0x80 * ONES);
    w | capital >> 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_comparison_agrees_with_eq_ignore_ascii_case() {
        let bytes: Vec<u8> = (0..=255).collect();
        // Every byte against every byte, at every position of a word and in the tail.
        for len in [1, 7, 8, 9, 16, 17] {
            for pos in 0..len {
                for &b in &bytes {
                    for &c in &bytes {
                        let lower = c.to_ascii_lowercase();
                        let mut text = vec![b'x'; len];
                        let mut pattern = vec![b'x'; len];
                        text[pos] = b;
                        pattern[pos] = lower;
                        assert_eq!(
                            eq_folded(&text, &pattern),
                            text.eq_ignore_ascii_case(&pattern),
                            "{b:#x} {lower:#x} at {pos} of {len}"
                        );
                    }
                }
            }
        }
        assert!(eq_folded(b"ECS:DescribeInstances", b"ecs:describeinstances"));
        assert!(!eq_folded(b"ECS:DescribeInstance", b"ecs:describeinstances"));
        assert!(eq_folded(b"", b""));
        assert_eq!(
            lower_word(u64::from_le_bytes(*b"@AZ[`az{")),
            u64::from_le_bytes(*b"@az[`az{")
        );
    }

    proptest::proptest! {
        #[test]
        fn folded_comparison_agrees_on_any_strings(text in "[a-zA-Z0-9:*?é@\\[`{]{0,40}", other in "[a-z0-9:*?é@\\[`{]{0,40}") {
            let lower = text.to_ascii_lowercase();
            proptest::prop_assert!(eq_folded(text.as_bytes(), lower.as_bytes()));
            proptest::prop_assert_eq!(
                eq_folded(text.as_bytes(), other.as_bytes()),
                text.as_bytes().eq_ignore_ascii_case(other.as_bytes())
            );
        }
    }
}
