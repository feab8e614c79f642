/// Why a lab operation (the mirror kubelet, a scenario, the state directory) failed; one line
/// naming the file, process or pod and the cause.
public enum LabError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidDuration(String)
    case invalidOverride(file: String, reason: String)
    case invalidPodReference(String)
    case stateFile(path: String, reason: String)
    case scenario(String, reason: String)

    public var description: String {
        switch self {
        case .invalidDuration(let text):
            "invalid duration \"\(text)\": use a number with a unit, e.g. 500ms, 2s, 1m"
        case .invalidOverride(let file, let reason):
            "pod override \(file): \(reason)"
        case .invalidPodReference(let text):
            "invalid pod \"\(text)\": name it NAMESPACE/POD"
        case .stateFile(let path, let reason):
            "lab state \(path): \(reason)"
        case .scenario(let name, let reason):
            "scenario \(name): \(reason)"
        }
    }
}
