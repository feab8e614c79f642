import Model

/// What the kernel says about a RUNNING container's process.
enum ProcessVerdict: Sendable, Hashable {
    case alive
    /// No process at that PID, or the PID belongs to another process.
    case missing(detail: String)
    case zombie(detail: String)
    /// Cannot be told: no PID from the runtime, or the kernel was not read.
    case unknown

    var isDead: Bool {
        switch self {
        case .missing, .zombie: true
        case .alive, .unknown: false
        }
    }

    /// `container` points into the runtime's list (see `Collector.evaluate`): read in place, not copied.
    static func of(
        _ container: UnsafePointer<RuntimeContainer>, kernel: KernelSnapshot?, configuration: CollectorConfiguration
    ) -> (verdict: ProcessVerdict, process: KernelProcess?, parent: KernelProcess?, ownership: ProcessOwnership?) {
        guard let kernel, let status = container.pointee.status, let pid = status.pid, pid > 0,
            kernel.queriedPIDs.contains(pid)
        else { return (.unknown, nil, nil, nil) }
        guard let process = kernel.processes[pid] else {
            return (.missing(detail: "pid \(pid) does not exist"), nil, nil, nil)
        }
        let parent = kernel.processes[process.ppid]
        let ownership = ProcessOwnership.decide(
            process: process, cgroupsPath: status.cgroupsPath,
            containerCreatedAt: seconds(status.createdAtNanos), containerStartedAt: seconds(status.startedAtNanos),
            tolerance: configuration.startTimeToleranceSeconds)
        if case .foreign(let reason) = ownership {
            return (.missing(detail: "pid \(pid) is now another process (\(process.command)): \(reason)"), process, parent, ownership)
        }
        if process.state == .zombie {
            // Built only for a zombie: this function runs for every running container on every refresh.
            let parentText = parent.map { "parent pid \($0.pid) (\($0.command)) in state \($0.state.rawValue)" } ?? "parent pid \(process.ppid)"
            let exit = process.exitStatus.map { ", wait status \($0)" } ?? ""
            return (.zombie(detail: "pid \(pid) (\(process.command)) is a zombie\(exit); \(parentText)"), process, parent, ownership)
        }
        return (.alive, process, parent, ownership)
    }
}

/// CRI times are nanoseconds since the epoch, 0 when unset.
func seconds(_ nanos: Int64) -> Double? {
    nanos > 0 ? Double(nanos) / 1e9 : nil
}
