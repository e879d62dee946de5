#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator, set for a daemon that runs for months and whose visits
/// come in bursts: each visit's scans allocate tens of megabytes (a raw A4
/// page is ~9 MB before it is compressed, on several threads at once), and
/// glibc keeps what was freed, per thread arena, as the process's own.
public enum Allocator {
    /// At most two arenas (glibc's default is eight per core), so memory freed
    /// by one visit's threads is what the next visit's reuse; and fixed
    /// thresholds instead of glibc's sliding ones. By default, freeing a raw
    /// page (mmapped, being large) raises the mmap threshold to its size and
    /// the trim threshold to twice that: the next pages then come from a
    /// thread's arena, and up to 17 MB free at that arena's top stays the
    /// process's, since `malloc_trim` trims only the main arena's top.
    public static func configure() {
        _ = mallopt(-8 /* M_ARENA_MAX */, 2)
        // A raw page (~9 MB) is mapped for itself and unmapped when freed; a sealed
        // or compressed page (1 MB at most) comes from an arena and is reused.
        _ = mallopt(-3 /* M_MMAP_THRESHOLD */, 2 << 20)
        // At most 4 MB free at an arena's top before it is given back.
        _ = mallopt(-1 /* M_TRIM_THRESHOLD */, 4 << 20)
    }

    /// Gives what is free back to the system: after a visit ends, and once the forwarder has sent what was queued.
    public static func releaseFreeMemory() {
        _ = malloc_trim(0)
    }
}

// malloc.h, which the Glibc module does not export.
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

@_silgen_name("malloc_trim")
private func malloc_trim(_ pad: Int) -> Int32
