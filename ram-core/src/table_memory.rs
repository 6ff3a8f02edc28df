//! Memory that Linux is asked to back with transparent huge pages, for the data every check
//! reads at random places: the name tables' shards ([`crate::name_table::NameTable`]: users'
//! and access keys' slots) and the compiled policies' index tables, entry lists, statements
//! ([`crate::policy_set`]) and compiled conditions ([`crate::condition`]).
//!
//! A check in a large directory reads the caller's slot at a random place in a table of
//! megabytes (8.4 MB at 100,000 users). On 4 KiB pages that is a TLB miss as well as a cache
//! miss, and under a hypervisor's nested paging a TLB miss walks two page tables; each random
//! slot also evicts a TLB entry that the shared policies' pages needed. A 2 MiB page maps such
//! a table with a handful of entries. The global allocator cannot be asked for that (Rust's
//! `GlobalAlloc` has no such request, and glibc only does it process-wide), so these blocks
//! come from this pool instead: anonymous mappings advised `MADV_HUGEPAGE`, handed out by the
//! `talc` allocator, each block on a cache line. W-directory at 100,000 users: a check 27 to
//! 56 ns faster (pairwise medians of three batches; `benches/RESULTS.md`, stop 16).
//!
//! - The advice is only a hint. Where the kernel's THP setting is `never`, or no huge page is
//!   free, the memory is ordinary pages and everything works as before.
//! - The pool keeps what it mapped for the life of the process and reuses what is freed: a
//!   publish copies a shard, and the one it replaced is freed when the snapshot that held it
//!   is released. What fragmentation leaves unused is not given back to the OS.
//! - One lock serializes the pool. Writers allocate; a reader frees only if it releases the
//!   last reference to a replaced snapshot, which the authorizer's writer keeps until its
//!   next publish so that a check does not (see [`crate::authorizer::Authorizer`]).
//! - Elsewhere than Linux the blocks come from the global allocator.

#[cfg(target_os = "linux")]
pub(crate) use pool::TableMemory;

#[cfg(not(target_os = "linux"))]
pub(crate) use allocator_api2::alloc::Global as TableMemory;

/// A slice in the pool: what a compiled policy keeps of its statements and conditions.
pub(crate) type PoolSlice<T> = allocator_api2::boxed::Box<[T], TableMemory>;

/// Collects `items` into a [`PoolSlice`], one block of exactly their number.
pub(crate) fn pool_slice<T>(items: impl ExactSizeIterator<Item = T>) -> PoolSlice<T> {
    slice_in(items, TableMemory)
}

/// Collects `items` into a slice of `alloc`, one block of exactly their number.
pub(crate) fn slice_in<T, A: allocator_api2::alloc::Allocator>(
    items: impl ExactSizeIterator<Item = T>,
    alloc: A,
) -> allocator_api2::boxed::Box<[T], A> {
    let mut list = allocator_api2::vec::Vec::with_capacity_in(items.len(), alloc);
    list.extend(items);
    list.into_boxed_slice()
}

thread_local! {
    /// Blocks this thread has taken from the pool (never from the global allocator, so a
    /// counting global allocator does not see them).
    static ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The number of blocks the current thread has taken from the tables' pool since it started
/// (always 0 where the tables use the global allocator). A test that proves that a check
/// allocates nothing with a counting global allocator reads it as well.
pub fn allocations_on_this_thread() -> u64 {
    ALLOCATIONS.with(std::cell::Cell::get)
}

#[cfg(target_os = "linux")]
mod pool {
    use std::alloc::{GlobalAlloc, Layout};
    use std::ptr::NonNull;

    use allocator_api2::alloc::{AllocError, Allocator};
    use memmap2::{Advice, MmapOptions};
    use talc::TalcLock;
    use talc::base::Talc;
    use talc::base::binning::Binning;
    use talc::source::Source;

    /// The size and alignment of a transparent huge page on x86-64 and of a common one on
    /// aarch64; the kernel backs only whole aligned ranges of this size with one.
    pub(super) const HUGE_PAGE: usize = 2 << 20;

    /// The least the pool maps at once. Only the huge pages that are touched take memory:
    /// talc writes to the first and the last of each mapping, so a small directory's tables
    /// cost two huge pages (4 MiB).
    const MAP_AT_LEAST: usize = 16 << 20;

    /// Maps memory for the pool when it runs out, and notes where (for tests).
    #[derive(Debug)]
    struct HugePages {
        heaps: Heaps,
    }

    /// The address ranges the pool claimed, for [`contains`]: a fixed array, since
    /// [`Source::acquire`] must not allocate (the first 64, which at 16 MB each is 1 GB;
    /// later ones are not noted).
    #[derive(Debug)]
    struct Heaps {
        ranges: [std::ops::Range<usize>; 64],
        len: usize,
    }

    impl Heaps {
        fn push(&mut self, range: std::ops::Range<usize>) {
            if let Some(slot) = self.ranges.get_mut(self.len) {
                *slot = range;
                self.len += 1;
            }
        }
    }

    /// Whether `addr` lies in memory the pool claimed (among its first 64 mappings).
    #[cfg(test)]
    pub(crate) fn contains(addr: usize) -> bool {
        let pool = POOL.lock();
        let heaps = &pool.source.heaps;
        heaps.ranges[..heaps.len].iter().any(|r| r.contains(&addr))
    }

    // SAFETY: `acquire` gives `talc` only memory that nothing else uses and that stays mapped
    // for the life of the process (see below), and it never touches the `TalcLock` that
    // holds `talc` (which would deadlock): it only maps memory and calls `talc.claim`.
    unsafe impl Source for HugePages {
        fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
            // Room for the block and its alignment, and for talc's own metadata (its bins on
            // the first claim, a few words on the others), in whole huge pages.
            let needed = layout
                .size()
                .checked_add(layout.align())
                .and_then(|n| n.checked_add(64 << 10));
            let needed = needed.ok_or(())?;
            let size = needed.max(MAP_AT_LEAST).checked_next_multiple_of(HUGE_PAGE).ok_or(())?;
            // One huge page more, so that an aligned range of `size` bytes lies inside.
            let mut map = MmapOptions::new()
                .len(size.checked_add(HUGE_PAGE).ok_or(())?)
                .map_anon()
                .map_err(|_| ())?;
            // A hint: refused (a kernel without THP), the memory is ordinary pages.
            let _ = map.advise(Advice::HugePage);
            let start = map.as_mut_ptr();
            let base = start.wrapping_add(start.align_offset(HUGE_PAGE));
            // SAFETY: `base..base + size` lies inside the mapping just made (it is
            // `size + HUGE_PAGE` bytes long and `base` is less than `HUGE_PAGE` past its start),
            // which is readable and writable, used by nothing else, and never unmapped once
            // claimed (below).
            unsafe { talc.claim(base, size) }.ok_or(())?;
            talc.source.heaps.push(base as usize..base as usize + size);
            // Never unmapped: talc may hand out any part of it until the process ends, and
            // reuses what is freed.
            std::mem::forget(map);
            Ok(())
        }
    }

    static POOL: TalcLock<parking_lot::RawMutex, HugePages> = TalcLock::new(HugePages {
        heaps: Heaps {
            ranges: [const { 0..0 }; 64],
            len: 0,
        },
    });

    /// Every block starts on a cache line: a table's slots start at its block, so a 64-byte
    /// slot (a user's) is one line, never the end of one and the start of the next. (Fails
    /// only for a size within 64 bytes of `isize::MAX`.)
    fn lined(layout: Layout) -> Result<Layout, AllocError> {
        layout.align_to(64).map_err(|_| AllocError)
    }

    /// The pool as an allocator for `hashbrown`'s tables. Every value is the same pool, so a
    /// block allocated through one may be freed through any other.
    #[derive(Clone, Copy, Debug, Default)]
    pub(crate) struct TableMemory;

    // SAFETY: blocks come from `POOL`, which hands out each byte to one block at a time and
    // keeps it mapped until it is freed (and after); the block is at least `layout.size()`
    // bytes at `layout.align()`, as `GlobalAlloc::alloc` promises. A zero-sized request gets
    // a dangling, aligned pointer, which `deallocate` recognises by the layout and does not
    // return to the pool. All values of `TableMemory` share `POOL`, so clones and moves keep
    // blocks valid, as the trait requires.
    unsafe impl Allocator for TableMemory {
        fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
            let ptr = if layout.size() == 0 {
                // A well-aligned non-null address, never read or written.
                NonNull::new(std::ptr::without_provenance_mut(layout.align())).ok_or(AllocError)?
            } else {
                // `try_with`: a table may be built while this thread's locals are torn down.
                let _ = super::ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
                let layout = lined(layout)?;
                // SAFETY: `layout` has a non-zero size.
                NonNull::new(unsafe { POOL.alloc(layout) }).ok_or(AllocError)?
            };
            // Exactly the size asked for: hashbrown turns a longer block into more buckets,
            // and would then free it with a layout this pool did not allocate.
            Ok(NonNull::slice_from_raw_parts(ptr, layout.size()))
        }

        unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
            // A block of this layout was allocated, so `lined` succeeded for it.
            if layout.size() != 0
                && let Ok(layout) = lined(layout)
            {
                // SAFETY: the caller passes a block that `allocate` returned with this
                // layout, which (its size being non-zero) came from `POOL` with the same
                // lined layout.
                unsafe { POOL.dealloc(ptr.as_ptr(), layout) }
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
pub(crate) mod tests {
    use std::alloc::Layout;

    use allocator_api2::alloc::Allocator;

    use super::pool::{HUGE_PAGE, contains};
    use super::*;

    /// The `VmFlags` of the mapping that holds `addr`, from `/proc/self/smaps`.
    pub(crate) fn vm_flags(addr: usize) -> Option<String> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((start, end)) = range.split_once('-')
                && let (Ok(start), Ok(end)) = (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16))
            {
                inside = (start..end).contains(&addr);
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return Some(flags.trim().to_owned());
            }
        }
        None
    }

    /// Whether the kernel has transparent huge pages (one without them refuses the advice,
    /// and the pool's memory is ordinary).
    pub(crate) fn thp() -> bool {
        std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists()
    }

    /// Whether `addr` lies in the pool's memory and in a mapping advised `MADV_HUGEPAGE`
    /// (`hg` in its `VmFlags`), where the kernel has transparent huge pages.
    pub(crate) fn in_huge_pool(addr: usize) -> bool {
        let flags = vm_flags(addr).expect("the address lies in a mapping");
        contains(addr) && (!thp() || flags.split_whitespace().any(|f| f == "hg"))
    }

    #[test]
    fn blocks_are_aligned_and_disjoint() {
        // Up to a block larger than one mapping of the pool (16 MB), and up to page alignment.
        let sizes = [1, 24, 64, 4096, 33_296, 3 * HUGE_PAGE, 20 << 20];
        let aligns = [8, 16, 64, 128, 4096];
        let mut blocks = Vec::new();
        for (i, &size) in sizes.iter().enumerate() {
            let layout = Layout::from_size_align(size, aligns[i % aligns.len()]).unwrap();
            let block = TableMemory.allocate(layout).unwrap();
            assert!(block.len() >= size);
            let ptr = block.cast::<u8>();
            assert_eq!(ptr.as_ptr() as usize % layout.align(), 0);
            assert_eq!(ptr.as_ptr() as usize % 64, 0, "block {i} starts on a cache line");
            assert!(contains(ptr.as_ptr() as usize) && contains(ptr.as_ptr() as usize + size - 1));
            // Writable end to end, and no other block overwrites it.
            // SAFETY: the block is `size` bytes and nothing else uses it.
            unsafe { ptr.as_ptr().write_bytes(i as u8, size) };
            blocks.push((ptr, layout));
        }
        for (i, &(ptr, layout)) in blocks.iter().enumerate() {
            // SAFETY: the block is still allocated and was filled above.
            let bytes = unsafe { std::slice::from_raw_parts(ptr.as_ptr(), layout.size()) };
            assert!(bytes.iter().all(|&b| b == i as u8), "block {i} was overwritten");
        }
        for (ptr, layout) in blocks {
            // SAFETY: each block was allocated with this layout and is freed once.
            unsafe { TableMemory.deallocate(ptr, layout) };
        }
    }

    #[test]
    fn zero_sized_blocks_are_aligned_and_not_pooled() {
        let layout = Layout::from_size_align(0, 64).unwrap();
        let before = allocations_on_this_thread();
        let block = TableMemory.allocate(layout).unwrap();
        assert_eq!(block.len(), 0);
        assert_eq!(block.cast::<u8>().as_ptr() as usize % 64, 0);
        assert!(!contains(block.cast::<u8>().as_ptr() as usize));
        assert_eq!(allocations_on_this_thread(), before, "not taken from the pool");
        // SAFETY: allocated just above with this layout.
        unsafe { TableMemory.deallocate(block.cast(), layout) };
        let sized = Layout::from_size_align(8, 8).unwrap();
        let block = TableMemory.allocate(sized).unwrap();
        assert_eq!(
            allocations_on_this_thread(),
            before + 1,
            "the counter sees the pool's blocks"
        );
        // SAFETY: allocated just above with this layout.
        unsafe { TableMemory.deallocate(block.cast(), sized) };
    }

    #[test]
    fn the_pool_asks_for_huge_pages() {
        let layout = Layout::from_size_align(4096, 64).unwrap();
        let block = TableMemory.allocate(layout).unwrap().cast::<u8>();
        assert!(in_huge_pool(block.as_ptr() as usize));
        if thp() {
            let flags = vm_flags(block.as_ptr() as usize).unwrap();
            assert!(flags.split_whitespace().any(|f| f == "hg"), "VmFlags: {flags}");
        }
        // SAFETY: allocated just above with this layout.
        unsafe { TableMemory.deallocate(block, layout) };
    }
}
