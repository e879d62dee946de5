/// glibc's allocator, set for a daemon that runs for months and whose visits
/// come in bursts: each visit's scans allocate tens of megabytes (a raw A4
/// page is ~9 MB before it is compressed, on several threads at once), and
/// glibc keeps what was freed, per thread arena, as the process's own.
enum Allocator {
    /// At most two arenas (glibc's default is eight per core), so memory freed
    /// by one visit's threads is what the next visit's reuse.
    static func limitArenas() {
        _ = mallopt(-8 /* M_ARENA_MAX */, 2)
    }

    /// Gives what is free back to the system: after a visit ends, and once the forwarder has sent what was queued.
    static func releaseFreeMemory() {
        _ = malloc_trim(0)
    }
}

// malloc.h, which the Glibc module does not export.
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

@_silgen_name("malloc_trim")
private func malloc_trim(_ pad: Int) -> Int32
