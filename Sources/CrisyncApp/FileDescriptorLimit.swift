#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The open-file limit, raised at start from the soft to the hard limit (which needs no privilege;
/// Go programs such as node_exporter and Prometheus do the same). crisync keeps one descriptor open
/// per running container process (see `ProcessHandles`), and containerd 2 starts containers with a
/// soft limit of 1,024.
enum FileDescriptorLimit {
    /// The soft limit after the attempt.
    @discardableResult
    static func raiseToHard() -> UInt {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt(raised.rlim_cur) }
        }
        return UInt(limit.rlim_cur)
    }
}
