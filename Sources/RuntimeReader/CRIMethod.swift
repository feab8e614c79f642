/// The CRI methods crisync calls, for error messages and call counters.
public enum CRIMethod: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case version = "Version"
    case status = "Status"
    case listPodSandbox = "ListPodSandbox"
    case listContainers = "ListContainers"
    case containerStatus = "ContainerStatus"
    case getContainerEvents = "GetContainerEvents"

    public var description: String { rawValue }
}

/// How many calls of each method a client has made (successful or not), for tests and benchmarks.
public struct CRICallCounts: Sendable, Hashable, CustomStringConvertible {
    public private(set) var byMethod: [CRIMethod: Int] = [:]

    public init(byMethod: [CRIMethod: Int] = [:]) {
        self.byMethod = byMethod
    }

    public subscript(method: CRIMethod) -> Int { byMethod[method, default: 0] }

    /// All calls of all methods.
    public var total: Int { byMethod.values.reduce(0, +) }

    /// Counts one call of `method`.
    public mutating func record(_ method: CRIMethod) {
        byMethod[method, default: 0] += 1
    }

    /// The calls made since `earlier` (a value read from the same client before).
    public func since(_ earlier: CRICallCounts) -> CRICallCounts {
        var delta = CRICallCounts()
        for method in CRIMethod.allCases where self[method] != earlier[method] {
            delta.byMethod[method] = self[method] - earlier[method]
        }
        return delta
    }

    public var description: String {
        let parts = CRIMethod.allCases.filter { self[$0] > 0 }.map { "\($0)=\(self[$0])" }
        return parts.isEmpty ? "no calls" : parts.joined(separator: " ")
    }
}
