#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator, set for a daemon that runs for months and whose visits
/// come in bursts of tens of megabytes (a raw A4 page is ~9 MB): so that what
/// a visit used goes back to the system when it ends. docs/operations.md
/// ("Memory between visits") has the measurements behind each setting.
public enum Allocator {
    /// One arena, glibc's main one, because `malloc_trim` trims only its top;
    /// large blocks from that heap, reused from page to page; no trim on free.
    public static func configure() {
        _ = mallopt(-8 /* M_ARENA_MAX */, 1)
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

/// A resident's identity and scans pass through kioskd's memory: no core dump
/// may carry them, whatever the system's settings (docs/operations.md).
public enum CoreDumps {
    /// Makes this process non-dumpable (no core file; /proc/PID owned by root, closed
    /// to ptrace by its own user) and sets its core size limit to 0. False if either failed.
    @discardableResult
    public static func forbid() -> Bool {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        let limited = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none) == 0
        return prctl(4 /* PR_SET_DUMPABLE */, 0, 0, 0, 0) == 0 && limited
    }
}

// prctl is variadic in sys/prctl.h; the kernel reads its five arguments as unsigned longs.
@_silgen_name("prctl")
private func prctl(_ option: Int32, _ argument2: UInt, _ argument3: UInt, _ argument4: UInt, _ argument5: UInt) -> Int32
