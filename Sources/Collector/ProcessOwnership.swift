import KernelReader
import Model

/// Whether the process the kernel shows at a container's PID really is that container's process.
/// PIDs are recycled: after the container's process died, another process may carry its PID.
public enum ProcessOwnership: Sendable, Hashable {
    case owned
    /// The PID belongs to another process; the reason says how that was decided.
    case foreign(reason: String)
    /// No way to tell (no cgroup information and no container times).
    case undetermined

    /// A process counts as the container's only if its cgroup path matches the container's (or,
    /// where cgroups cannot be read, its start time lies within the container's lifetime: not before
    /// the container was created, not after it started).
    public static func decide(
        process: KernelProcess, cgroupsPath: String?, containerCreatedAt: Double?, containerStartedAt: Double?,
        tolerance: Double
    ) -> ProcessOwnership {
        if let cgroupsPath, let inContainer = CgroupsPath.processIsInContainer(process, cgroupsPath: cgroupsPath) {
            return inContainer ? .owned : .foreign(reason: "its cgroup is not the container's (\(cgroupsPath))")
        }
        if let created = containerCreatedAt, process.startTime < created - tolerance {
            return .foreign(reason: "it started before the container was created")
        }
        if let started = containerStartedAt, process.startTime > started + tolerance {
            return .foreign(reason: "it started after the container's process did")
        }
        return containerCreatedAt == nil && containerStartedAt == nil ? .undetermined : .owned
    }
}
