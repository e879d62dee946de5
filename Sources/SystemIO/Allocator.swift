#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator, set for a daemon that runs for months and whose visits
/// come in bursts: each visit's scans allocate tens of megabytes (a raw A4
/// page is ~9 MB before it is compressed, on several threads at once), and
/// glibc keeps what was freed, per thread arena, as the process's own.
public enum Allocator {
    /// One arena, glibc's main one (the default is eight per core), so
    /// `malloc_trim` can give back all that is free: it trims the main
    /// arena's top but never a thread arena's. A raw page freed in a thread
    /// arena raised glibc's sliding trim threshold to twice its size, and up
    /// to 17 MB stayed free at that arena's top for good. Large blocks come
    /// from that one heap too and stay there until a visit is done: mapping
    /// each raw page for itself cost a scan a third more time (its pages
    /// faulted in afresh), and one arena trimming itself on every free cost
    /// the 10-page enqueue as much.
    public static func configure() {
        _ = mallopt(-8 /* M_ARENA_MAX */, 1)
        // Large blocks (a raw page, a sealed one) from the heap, reused from one page to the next,
        // and nothing given back on every free: `releaseFreeMemory` does that when a visit is done.
        _ = mallopt(-3 /* M_MMAP_THRESHOLD */, 32 << 20)
        _ = mallopt(-1 /* M_TRIM_THRESHOLD */, Int32.max)
    }

    /// Gives what is free back to the system: when a visit ends and again 3 s later, and once the forwarder has sent what was queued.
    public static func releaseFreeMemory() {
        _ = malloc_trim(0)
    }
}

// malloc.h, which the Glibc module does not export.
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

@_silgen_name("malloc_trim")
private func malloc_trim(_ pad: Int) -> Int32
