//! Per-call latency: a histogram with 1 ns buckets up to 8,192 ns (every value above kept
//! exactly), so that medians and tail percentiles of sub-microsecond calls are exact to the
//! nanosecond, recording costs one array increment, and it never allocates while below 8 µs.
//!
//! Criterion reports the mean or median of batches of calls; a p99 needs every call timed on
//! its own. The cost of doing so (two `Instant::now()` around the call, about 20 ns each on
//! this machine's TSC clock) is part of each recorded value: [`timer_overhead`] measures it so
//! that it can be reported beside the percentiles, and nothing is subtracted.
//!
//! ```
//! use ram_benches::latency::Histogram;
//!
//! let mut h = Histogram::new();
//! for ns in [100, 100, 100, 200, 10_000] {
//!     h.record(ns);
//! }
//! assert_eq!(h.count(), 5);
//! assert_eq!(h.percentile(0.5), 100);
//! assert_eq!(h.percentile(0.99), 10_000);
//! assert_eq!(h.max(), 10_000);
//! ```

use std::hint::black_box;
use std::time::Instant;

/// Values below this many nanoseconds are counted in 1 ns buckets.
const LINEAR: usize = 8_192;

/// A latency histogram in nanoseconds.
#[derive(Clone, Debug)]
pub struct Histogram {
    buckets: Box<[u64; LINEAR]>,
    above: Vec<u64>,
    count: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Histogram {
        Histogram {
            buckets: Box::new([0; LINEAR]),
            above: Vec::new(),
            count: 0,
        }
    }

    /// Records one value.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        self.count += 1;
        match self.buckets.get_mut(ns as usize) {
            Some(b) => *b += 1,
            None => self.above.push(ns),
        }
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets.iter()) {
            *a += b;
        }
        self.above.extend_from_slice(&other.above);
        self.count += other.count;
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The smallest value such that at least `q` (0–1) of the values are at most it; 0 when
    /// empty.
    pub fn percentile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (ns, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return ns as u64;
            }
        }
        let mut above = self.above.clone();
        above.sort_unstable();
        above[(rank - seen - 1) as usize]
    }

    /// The largest value; 0 when empty.
    pub fn max(&self) -> u64 {
        if let Some(&m) = self.above.iter().max() {
            return m;
        }
        self.buckets.iter().rposition(|&n| n > 0).unwrap_or(0) as u64
    }
}

/// Times `f` alone: `Instant::now()` before and after, in nanoseconds.
#[inline]
pub fn time<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let start = Instant::now();
    let out = black_box(f());
    (start.elapsed().as_nanos() as u64, out)
}

/// The median of timing nothing with [`time`]: what every recorded value includes on top of
/// the call itself.
pub fn timer_overhead() -> u64 {
    let mut h = Histogram::new();
    for _ in 0..1_000_000 {
        h.record(time(|| ()).0);
    }
    h.percentile(0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_cross_the_linear_range() {
        let mut h = Histogram::new();
        for ns in 0..100u64 {
            h.record(ns);
        }
        assert_eq!(h.percentile(0.5), 49);
        assert_eq!(h.percentile(0.99), 98);
        assert_eq!(h.percentile(1.0), 99);
        let mut big = Histogram::new();
        big.record(50_000);
        big.record(20_000);
        h.merge(&big);
        assert_eq!(h.count(), 102);
        assert_eq!(h.percentile(1.0), 50_000);
        assert_eq!(h.percentile(101.0 / 102.0), 20_000);
        assert_eq!(h.max(), 50_000);
        assert_eq!(Histogram::new().percentile(0.5), 0);
    }
}
