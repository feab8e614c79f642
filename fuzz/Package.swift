// swift-tools-version:6.1
// crisync's fuzz build: one libFuzzer harness (`crisync-fuzz <target>`) over the parsers crisync
// ships. Built only by scripts/fuzz.sh, with `-sanitize=fuzzer,address` in its own scratch path
// (.build-fuzz); the main build never sees this package.
//
// The sources are symlinks into ../Sources, so what is fuzzed is exactly what ships. Only the pure
// parsing files of RuntimeReader and KubeletReader are linked in (RuntimeInfoParsing,
// KubeletPodList): their modules pull in gRPC, NIO and BoringSSL, which would take this build
// from about a minute to over five. If one of those files gains a dependency on its module's other
// files, this build breaks and says so; the fix is a symlink more here.
import PackageDescription

let package = Package(
    name: "crisync-fuzz",
    targets: [
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd"),
        .target(
            name: "CMicroHTTPDShim", dependencies: ["CMicroHTTPD"],
            linkerSettings: [.linkedLibrary("gnutls"), .linkedLibrary("nettle"), .linkedLibrary("crypt")]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib"),
        .target(name: "Model"),
        .target(name: "Exposition"),
        .target(name: "CProcessExit"),
        .target(name: "KernelReader", dependencies: ["Model", "CProcessExit"]),
        .target(name: "Server", dependencies: ["CMicroHTTPD", "CMicroHTTPDShim", "CZlib", "Exposition"]),
        .target(name: "RuntimeInfoParsing"),
        .target(name: "KubeletPodList", dependencies: ["Model"]),
        .target(name: "CFuzzDriver"),
        .executableTarget(
            name: "crisync-fuzz",
            dependencies: ["CFuzzDriver", "KernelReader", "Server", "Exposition", "RuntimeInfoParsing", "KubeletPodList", "Model"]),
    ],
    swiftLanguageModes: [.v6]
)
