//! Replay protection: the timestamp window and the nonce cache.
//!
//! A signed request carries its signing time (`x-acs-date` / `Timestamp`) and a nonce
//! (`x-acs-signature-nonce` / `SignatureNonce`), both covered by the signature. The server
//! accepts a request only while `|now - timestamp| <= window` (15 minutes, Alibaba Cloud's
//! figure, in both directions for clock skew), and only once per nonce.
//!
//! The cache therefore needs a nonce only for as long as its request could still pass the
//! timestamp check: until `timestamp + window`. Each entry expires at that instant, so the
//! cache holds at most one window's worth of requests; past a configured cap it refuses new
//! requests (fails closed) rather than evicting live entries, which would re-open replay.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use jiff::{SignedDuration, Timestamp};
use parking_lot::Mutex;

/// Alibaba Cloud's clock-skew allowance: 15 minutes.
pub const DEFAULT_WINDOW: SignedDuration = SignedDuration::from_secs(15 * 60);

/// Default cap on remembered nonces (a few tens of MiB at most).
pub const DEFAULT_MAX_NONCES: usize = 1 << 18;

/// The longest nonce accepted; the SDKs send 32 hex digits or a 36-character UUID.
pub const MAX_NONCE_LEN: usize = 128;

/// Why a request fails replay protection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The request was signed too long ago, or too far in the future.
    #[error("the request time {timestamp} is outside the {window_minutes}-minute window around the server time {now}")]
    Expired {
        /// The request's signing time.
        timestamp: Timestamp,
        /// The server's time.
        now: Timestamp,
        /// The window, in minutes.
        window_minutes: i64,
    },
    /// The nonce was already used within the window.
    #[error("the signature nonce was already used")]
    NonceUsed,
    /// The nonce is empty or too long.
    #[error("the signature nonce must be 1 to {MAX_NONCE_LEN} characters")]
    InvalidNonce,
    /// The cache is full of live entries.
    #[error("too many requests within the replay window; retry later")]
    CacheFull,
}

/// Checks timestamps and remembers nonces; shared by every request (thread-safe).
///
/// ```
/// use jiff::Timestamp;
/// use ram_web::replay::{ReplayError, ReplayGuard};
///
/// let guard = ReplayGuard::new();
/// let now: Timestamp = "2024-01-01T00:05:00Z".parse()?;
/// let signed: Timestamp = "2024-01-01T00:00:00Z".parse()?;
/// guard.check_timestamp(signed, now)?;
/// guard.record_nonce("LTAI...", "0123456789abcdef", signed, now)?;
/// assert_eq!(guard.record_nonce("LTAI...", "0123456789abcdef", signed, now), Err(ReplayError::NonceUsed));
/// // Another key may use the same nonce.
/// guard.record_nonce("LTAI-other", "0123456789abcdef", signed, now)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ReplayGuard {
    window: SignedDuration,
    max_nonces: usize,
    state: Mutex<NonceState>,
}

#[derive(Debug, Default)]
struct NonceState {
    /// "<access key id>\n<nonce>" -> expiry (unix seconds).
    seen: HashMap<Box<str>, i64>,
    /// The same entries by expiry, oldest first, to purge without scanning.
    by_expiry: BinaryHeap<Reverse<(i64, Box<str>)>>,
}

impl Default for ReplayGuard {
    fn default() -> Self {
        ReplayGuard::new()
    }
}

impl ReplayGuard {
    /// A 15-minute window and [`DEFAULT_MAX_NONCES`].
    pub fn new() -> ReplayGuard {
        ReplayGuard::with_limits(DEFAULT_WINDOW, DEFAULT_MAX_NONCES)
    }

    /// A custom window (its absolute value) and nonce cap (at least 1).
    pub fn with_limits(window: SignedDuration, max_nonces: usize) -> ReplayGuard {
        ReplayGuard {
            window: window.abs(),
            max_nonces: max_nonces.max(1),
            state: Mutex::new(NonceState::default()),
        }
    }

    /// The timestamp window.
    pub fn window(&self) -> SignedDuration {
        self.window
    }

    /// Accepts `timestamp` if it is within the window of `now`, either side.
    pub fn check_timestamp(&self, timestamp: Timestamp, now: Timestamp) -> Result<(), ReplayError> {
        let skew = now.duration_since(timestamp).abs();
        if skew > self.window {
            return Err(ReplayError::Expired {
                timestamp,
                now,
                window_minutes: self.window.as_secs() / 60,
            });
        }
        Ok(())
    }

    /// Records `nonce` for `access_key_id`, refusing one already seen in the window.
    ///
    /// Call it only after the signature verified, so that nobody can burn another
    /// client's nonces, and after [`ReplayGuard::check_timestamp`]: the entry lives until
    /// `timestamp + window`, after which the timestamp check alone rejects a replay.
    pub fn record_nonce(
        &self,
        access_key_id: &str,
        nonce: &str,
        timestamp: Timestamp,
        now: Timestamp,
    ) -> Result<(), ReplayError> {
        if nonce.is_empty() || nonce.len() > MAX_NONCE_LEN {
            return Err(ReplayError::InvalidNonce);
        }
        let now_s = now.as_second();
        let expiry = timestamp.as_second().saturating_add(self.window.as_secs());
        let key: Box<str> = format!("{access_key_id}\n{nonce}").into();
        let mut state = self.state.lock();
        state.purge(now_s);
        if state.seen.contains_key(&key) {
            return Err(ReplayError::NonceUsed);
        }
        if state.seen.len() >= self.max_nonces {
            return Err(ReplayError::CacheFull);
        }
        state.seen.insert(key.clone(), expiry);
        state.by_expiry.push(Reverse((expiry, key)));
        Ok(())
    }

    /// How many nonces are remembered (expired ones may linger until the next record).
    pub fn len(&self) -> usize {
        self.state.lock().seen.len()
    }

    /// Whether no nonce is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl NonceState {
    /// Drops every entry whose expiry is before `now`.
    fn purge(&mut self, now: i64) {
        while let Some(Reverse((expiry, _))) = self.by_expiry.peek() {
            if *expiry >= now {
                break;
            }
            if let Some(Reverse((_, key))) = self.by_expiry.pop() {
                self.seen.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn window_is_fifteen_minutes_both_ways() {
        let g = ReplayGuard::new();
        let now = t("2024-01-01T12:00:00Z");
        assert!(g.check_timestamp(t("2024-01-01T11:45:00Z"), now).is_ok());
        assert!(g.check_timestamp(t("2024-01-01T12:15:00Z"), now).is_ok());
        assert!(matches!(
            g.check_timestamp(t("2024-01-01T11:44:59Z"), now),
            Err(ReplayError::Expired { window_minutes: 15, .. })
        ));
        assert!(g.check_timestamp(t("2024-01-01T12:15:01Z"), now).is_err());
        assert!(g.check_timestamp(t("1970-01-01T00:00:00Z"), now).is_err());
        assert!(g.check_timestamp(Timestamp::MAX, now).is_err());
        assert!(g.check_timestamp(Timestamp::MIN, now).is_err());
    }

    #[test]
    fn nonce_expires_with_its_timestamp() {
        let g = ReplayGuard::new();
        let signed = t("2024-01-01T12:00:00Z");
        g.record_nonce("k", "n", signed, signed).unwrap();
        assert_eq!(
            g.record_nonce("k", "n", signed, t("2024-01-01T12:14:59Z")),
            Err(ReplayError::NonceUsed)
        );
        // Past timestamp + window the entry goes (the timestamp check rejects the replay anyway).
        let later = t("2024-01-01T12:15:01Z");
        g.record_nonce("k", "other", later, later).unwrap();
        assert_eq!(g.len(), 1);
    }

    #[test]
    fn future_timestamps_are_remembered_longer() {
        let g = ReplayGuard::new();
        let now = t("2024-01-01T12:00:00Z");
        let future = t("2024-01-01T12:15:00Z");
        g.record_nonce("k", "n", future, now).unwrap();
        // At 12:29 the request (signed "12:15") is still inside the window: still refused.
        let at = t("2024-01-01T12:29:00Z");
        assert!(g.check_timestamp(future, at).is_ok());
        assert_eq!(g.record_nonce("k", "n", future, at), Err(ReplayError::NonceUsed));
    }

    #[test]
    fn cap_fails_closed() {
        let g = ReplayGuard::with_limits(DEFAULT_WINDOW, 2);
        let now = t("2024-01-01T12:00:00Z");
        g.record_nonce("k", "1", now, now).unwrap();
        g.record_nonce("k", "2", now, now).unwrap();
        assert_eq!(g.record_nonce("k", "3", now, now), Err(ReplayError::CacheFull));
        // Once the old ones expire there is room again.
        let later = t("2024-01-01T12:16:00Z");
        g.record_nonce("k", "3", later, later).unwrap();
        assert_eq!(g.len(), 1);
    }

    #[test]
    fn nonce_length_is_bounded() {
        let g = ReplayGuard::new();
        let now = t("2024-01-01T12:00:00Z");
        assert_eq!(g.record_nonce("k", "", now, now), Err(ReplayError::InvalidNonce));
        assert_eq!(
            g.record_nonce("k", &"x".repeat(MAX_NONCE_LEN + 1), now, now),
            Err(ReplayError::InvalidNonce)
        );
        assert!(g.record_nonce("k", &"x".repeat(MAX_NONCE_LEN), now, now).is_ok());
    }

    #[test]
    fn concurrent_use_records_each_nonce_once() {
        let g = std::sync::Arc::new(ReplayGuard::new());
        let now = t("2024-01-01T12:00:00Z");
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let g = g.clone();
                std::thread::spawn(move || {
                    (0..200)
                        .filter(|i| g.record_nonce("k", &i.to_string(), now, now).is_ok())
                        .count()
                })
            })
            .collect();
        let accepted: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(accepted, 200);
    }
}
