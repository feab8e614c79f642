#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import NIOPosix

/// Scrapes before refreshes: every thread but libmicrohttpd's runs at a lower priority (nice 10), so a
/// refresh (tens of milliseconds of CPU on a large node) never makes a scrape wait for a core. The
/// server's threads are started first and keep the priority crisync started with. Lowering a
/// thread's priority needs no privilege; on a busy node a refresh takes longer, never a scrape.
enum BackgroundPriority {
    static let niceness: Int32 = 10

    /// The calling thread: Linux keeps a nice value per thread, and `PRIO_PROCESS` with 0 names the
    /// calling thread, not the whole process.
    static func lowerCurrentThread() {
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let current = getpriority(which, 0)
        guard errno == 0, current < niceness else { return }
        _ = setpriority(which, 0, niceness)
    }

    /// The NIO event loops the gRPC and HTTP clients run on.
    static func lowerEventLoops() {
        for loop in MultiThreadedEventLoopGroup.singleton.makeIterator() {
            loop.execute { lowerCurrentThread() }
        }
    }
}
