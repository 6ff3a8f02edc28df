//! Prefetch hints: a check at a large directory waits on a few loads at random addresses
//! (a user's table slot, the compiled policies it lists); starting them early lets the
//! misses overlap each other and the work that does not depend on them.

/// Asks the CPU to bring the cache line holding `value` into the caches, without waiting
/// for it. Only a hint: it reads nothing, never faults, and does nothing on targets without
/// an SSE prefetch instruction.
#[inline(always)]
pub(crate) fn prefetch<T>(value: &T) {
    #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse"))]
    safe_arch::prefetch_t0(value);
    #[cfg(not(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse")))]
    let _ = value;
}
