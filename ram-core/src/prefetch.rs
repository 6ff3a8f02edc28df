//! Prefetch hints: a check in a large directory waits on loads at random addresses (above
//! all the caller's table slot); starting them early lets the misses overlap the work that
//! does not depend on them.

/// Whether [`prefetch`] does anything on this target: where it does not, callers skip the
/// work they would do only to make room for it.
pub(crate) const ENABLED: bool = cfg!(all(
    any(target_arch = "x86", target_arch = "x86_64"),
    target_feature = "sse"
));

/// Asks the CPU to bring the cache line holding `value` into the caches, without waiting
/// for it. Only a hint: it reads nothing, never faults, and does nothing on targets without
/// an SSE prefetch instruction ([`ENABLED`]).
#[inline(always)]
pub(crate) fn prefetch<T>(value: &T) {
    #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse"))]
    safe_arch::prefetch_t0(value);
    #[cfg(not(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse")))]
    let _ = value;
}
