import Model
import Synchronization

/// The kernel read refresh after refresh: each snapshot taken from the one before it, with the
/// containers' process descriptors kept open in between (see ``KernelReader/snapshot(targets:previous:handles:)``).
/// The previous snapshot and the open descriptors belong together (a kept one stands for the process
/// the previous snapshot read), so they live here, side by side, for every refreshing caller.
public final class KernelSnapshots: Sendable {
    public let reader: KernelReader
    private let previous = Mutex<KernelSnapshot?>(nil)
    private let handles: ProcessHandles

    public init(reader: KernelReader, handles: ProcessHandles = ProcessHandles()) {
        self.reader = reader
        self.handles = handles
    }

    /// The next snapshot of the runtime's RUNNING containers (see
    /// ``KernelReader/snapshot(ofRunningContainersIn:previous:handles:)``). One refresh at a time:
    /// a second caller waits for the first.
    public func next(ofRunningContainersIn runtime: RuntimeSnapshot?) -> KernelSnapshot {
        previous.withLock { previous in
            // Taken out, so carrying it over changes it in place instead of copying it.
            let snapshot = reader.snapshot(ofRunningContainersIn: runtime, previous: previous.take(), handles: handles)
            previous = snapshot
            return snapshot
        }
    }
}
