import CBuildRevision

/// What this binary is. `revision` is the commit it was built from, as the build was given it in
/// $CRISYNC_REVISION (Package.swift, scripts/revision.sh), "unknown" when it was not.
public enum BuildInfo {
    public static let version = "0.1.0"
    public static let revision = String(cString: crisync_build_revision())

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
