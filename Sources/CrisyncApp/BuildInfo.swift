/// What this binary is. `revision` comes from Revision.swift: "unknown" in the repository; an image
/// build may overwrite that file with the commit it builds.
public enum BuildInfo {
    public static let version = "0.1.0"
    public static let revision = buildRevision

    public static var swiftVersion: String {
        #if compiler(>=6.4)
            "6.4"
        #elseif compiler(>=6.3)
            "6.3"
        #elseif compiler(>=6.2)
            "6.2"
        #elseif compiler(>=6.1)
            "6.1"
        #else
            "6.0"
        #endif
    }
}
