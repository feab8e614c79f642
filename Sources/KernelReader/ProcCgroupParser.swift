import Model

/// Parses `/proc/<pid>/cgroup`: one `hierarchy-ID:controller-list:cgroup-path` line per hierarchy.
/// v1 lines name their controllers (`4:memory:/kubepods/...`, `1:name=systemd:/...`); the v2 line is
/// `0::/path`. A hybrid host has both kinds. The path is everything after the second colon, since
/// cgroup names may themselves contain colons.
public enum ProcCgroupParser {
    public static func parse(_ bytes: [UInt8]) throws(KernelParseError) -> [CgroupMembership] {
        do {
            return try bytes.withUnsafeBufferPointer { buffer throws(KernelParseError) in try parse(buffer) }
        }
    }

    public static func parse(_ text: String) throws(KernelParseError) -> [CgroupMembership] {
        try parse(Array(text.utf8))
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(KernelParseError) -> [CgroupMembership] {
        var memberships: [CgroupMembership] = []
        memberships.reserveCapacity(16)
        // On hybrid and v1 hosts most lines carry the same path; they share one String instead of
        // a copy each (a process is kept for every container on every refresh).
        var previousPath: (bytes: UnsafeBufferPointer<UInt8>, text: String)?
        try forEachLine(bytes) { line, number throws(KernelParseError) in
            if line.isEmpty { return }
            guard let firstColon = line.firstIndex(of: .colon),
                let secondColon = line[(firstColon + 1)...].firstIndex(of: .colon),
                let hierarchyID = parseInt64(UnsafeBufferPointer(rebasing: line[line.startIndex..<firstColon])),
                hierarchyID >= 0, hierarchyID <= Int64(Int32.max)
            else { throw .malformedLine(number: number, text: excerpt(line)) }
            let path = UnsafeBufferPointer(rebasing: line[(secondColon + 1)...])
            guard path.first == .slash else { throw .malformedLine(number: number, text: excerpt(line)) }
            let controllerBytes = UnsafeBufferPointer(rebasing: line[(firstColon + 1)..<secondColon])
            let controllers =
                controllerBytes.isEmpty
                ? [] : controllerBytes.split(separator: .comma).map { String(decoding: $0, as: UTF8.self) }
            let text: String
            if let previousPath, previousPath.bytes.elementsEqual(path) {
                text = previousPath.text
            } else {
                text = String(decoding: path, as: UTF8.self)
                previousPath = (path, text)
            }
            memberships.append(CgroupMembership(hierarchyID: Int(hierarchyID), controllers: controllers, path: text))
        }
        return memberships
    }
}
