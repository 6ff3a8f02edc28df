//! The price of one random memory access on this machine, by the size of the region it falls
//! in: a pointer chase (each load's address comes from the previous load, as a check's
//! lookup of a random user depends on the name's hash) through a random cycle of the cache
//! lines of a region. This is the floor under a W-directory check in a large directory: it
//! must read at least one line of a random user's data.
//!
//! ```sh
//! cargo run --release -p ram-benches --bin memfloor
//! ```

use std::hint::black_box;
use std::time::Instant;

use ram_benches::directory::Rng;

/// Loads per measurement.
const STEPS: usize = 2_000_000;

fn main() {
    println!("| region | ns per dependent random load (median of 5) |");
    println!("| ---: | ---: |");
    for mb in [0.25, 1.0, 4.0, 8.0, 16.0, 32.0, 128.0, 512.0] {
        let lines = (mb * 1024.0 * 1024.0) as usize / 64;
        // One slot per cache line (8 words), linked in a random cycle through every line.
        let mut order: Vec<usize> = (0..lines).collect();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for i in (1..lines).rev() {
            order.swap(i, rng.range(0, i));
        }
        let mut next = vec![0usize; lines * 8];
        for w in 0..lines {
            next[order[w] * 8] = order[(w + 1) % lines] * 8;
        }
        let mut times: Vec<f64> = (0..5)
            .map(|_| {
                let mut p = 0;
                let start = Instant::now();
                for _ in 0..STEPS {
                    p = next[p];
                }
                black_box(p);
                start.elapsed().as_nanos() as f64 / STEPS as f64
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!("| {mb} MB | {:.1} ns |", times[2]);
    }
}
