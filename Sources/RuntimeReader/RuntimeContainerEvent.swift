import Model

/// One event of CRI `GetContainerEvents` (the runtime's evented PLEG stream).
public struct RuntimeContainerEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case created
        case started
        case stopped
        case deleted
        case unknown
    }

    public var containerID: String
    public var kind: Kind
    /// Nanoseconds since the Unix epoch.
    public var createdAtNanos: Int64
    /// The pod sandbox, when the runtime included its status.
    public var sandboxID: String?
    /// The container as the event's status describes it (state, exit code, reason, labels), when
    /// the runtime included one (containerd 1.7+). Its status has no PID or cgroup path: those come
    /// from the verbose info, which events do not carry.
    public var container: RuntimeContainer?

    public init(
        containerID: String, kind: Kind, createdAtNanos: Int64 = 0, sandboxID: String? = nil,
        container: RuntimeContainer? = nil
    ) {
        self.containerID = containerID
        self.kind = kind
        self.createdAtNanos = createdAtNanos
        self.sandboxID = sandboxID
        self.container = container
    }
}

/// Whether the runtime streams container events.
public enum RuntimeEventsSupport: Sendable, Hashable, CustomStringConvertible {
    /// The runtime accepted `GetContainerEvents`.
    case supported
    /// The runtime answered UNIMPLEMENTED (containerd 1.6): poll instead.
    case unsupported
    /// The probe itself failed (runtime down or wedged); try again later.
    case unknown(RuntimeReaderError)

    public var description: String {
        switch self {
        case .supported: "events supported"
        case .unsupported: "events unsupported (GetContainerEvents is not implemented): polling only"
        case .unknown(let error): "events support unknown: \(error)"
        }
    }
}
