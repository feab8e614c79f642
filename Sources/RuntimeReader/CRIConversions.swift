import Model

/// CRI messages to Model values. Pure.

extension RuntimeContainerState {
    init(cri state: Runtime_V1_ContainerState) {
        switch state {
        case .containerCreated: self = .created
        case .containerRunning: self = .running
        case .containerExited: self = .exited
        case .containerUnknown, .UNRECOGNIZED: self = .unknown
        }
    }
}

extension RuntimeSandboxState {
    init(cri state: Runtime_V1_PodSandboxState) {
        switch state {
        case .sandboxReady: self = .ready
        // A state this subset does not know is not "ready": nothing promises the pod works.
        case .sandboxNotready, .UNRECOGNIZED: self = .notReady
        }
    }
}

extension RuntimeContainer {
    /// A container known only from a `ContainerStatus` (an event's), without the verbose info.
    init(cri status: Runtime_V1_ContainerStatus, sandboxID: String) {
        self.init(
            id: status.id, sandboxID: sandboxID, name: status.metadata.name, attempt: status.metadata.attempt,
            state: RuntimeContainerState(cri: status.state), createdAtNanos: status.createdAt,
            labels: KubernetesLabels(labels: status.labels), status: RuntimeContainerStatus(cri: status, info: ContainerdInfo()))
    }
}

extension RuntimeContainerStatus {
    init(cri status: Runtime_V1_ContainerStatus, info: ContainerdInfo) {
        self.init(
            state: RuntimeContainerState(cri: status.state), createdAtNanos: status.createdAt,
            startedAtNanos: status.startedAt, finishedAtNanos: status.finishedAt, exitCode: status.exitCode,
            reason: status.reason, message: status.message, pid: info.pid, cgroupsPath: info.cgroupsPath,
            sandboxID: info.sandboxID)
    }
}

extension RuntimeCondition {
    init(cri condition: Runtime_V1_RuntimeCondition) {
        self.init(type: condition.type, status: condition.status, reason: condition.reason, message: condition.message)
    }
}

extension RuntimeVersion {
    init(cri version: Runtime_V1_VersionResponse) {
        self.init(
            runtimeName: version.runtimeName, runtimeVersion: version.runtimeVersion,
            runtimeAPIVersion: version.runtimeApiVersion)
    }
}

extension RuntimeContainerEvent {
    init(cri event: Runtime_V1_ContainerEventResponse) {
        let kind: Kind =
            switch event.containerEventType {
            case .containerCreatedEvent: .created
            case .containerStartedEvent: .started
            case .containerStoppedEvent: .stopped
            case .containerDeletedEvent: .deleted
            case .UNRECOGNIZED: .unknown
            }
        let sandboxID = event.hasPodSandboxStatus ? event.podSandboxStatus.id : nil
        let container = event.containersStatuses.first { $0.id == event.containerID }.map {
            RuntimeContainer(cri: $0, sandboxID: sandboxID ?? "")
        }
        self.init(
            containerID: event.containerID, kind: kind, createdAtNanos: event.createdAt, sandboxID: sandboxID,
            container: container)
    }
}
