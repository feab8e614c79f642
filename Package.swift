// swift-tools-version:6.1
// crisync: a Prometheus exporter for kubelet / containerd / kernel divergence.
//
// Module graph (data flows one way):
//   KernelReader, RuntimeReader, KubeletReader -> Model values -> Collector -> Exposition -> Server
// The readers are separate modules so each carries only its own dependencies (gRPC for CRI,
// async-http-client for the kubelet, nothing for procfs) and the pure modules build in seconds.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// The commit crisync_build_info reports, from $CRISYNC_REVISION (scripts/revision.sh; the scripts that
/// build export it, an image build passes it); "unknown" without it. Not git information read here:
/// SwiftPM keeps this manifest's evaluation across commits, so it would go stale.
let revision = Context.environment["CRISYNC_REVISION"].flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"

/// The linker runs elsewhere than here; its script is named by its absolute path.
let packageDirectory = String(#filePath.dropLast("/Package.swift".count))

let package = Package(
    name: "crisync",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "crisync-exporter", targets: ["crisync-exporter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // C: libmicrohttpd and zlib, plus a shim for the variadic libmicrohttpd entry points.
        .systemLibrary(
            name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]),
        .target(
            name: "CMicroHTTPDShim", dependencies: ["CMicroHTTPD"],
            // TLS credentials and client-certificate checks (GnuTLS, what libmicrohttpd uses), HMAC
            // (nettle) and bcrypt (libxcrypt): all come with libmicrohttpd-dev and libc6-dev.
            linkerSettings: [.linkedLibrary("gnutls"), .linkedLibrary("nettle"), .linkedLibrary("crypt")]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Pure Swift, no I/O.
        .target(name: "Model", swiftSettings: strict),
        // SIGTERM/SIGINT handling shared by the executables.
        .target(name: "ProcessSignals", swiftSettings: strict),
        // glibc malloc settings, shared by the exporter and the benchmarks that measure it.
        .target(name: "MallocTuning", swiftSettings: strict),
        .target(name: "Exposition", swiftSettings: strict),
        // Collector uses KernelReader's pure cgroup path rules only; it performs no I/O.
        .target(name: "Collector", dependencies: ["Model", "Exposition", "KernelReader"], swiftSettings: strict),

        // Readers: one per source.
        // pidfd_open and epoll for KernelReader's exit watch (a variadic syscall and a packed struct).
        .target(name: "CProcessExit"),
        // The commit built, for crisync_build_info.
        .target(name: "CBuildRevision", cSettings: [.define("CRISYNC_REVISION", to: "\"\(revision)\"")]),
        .target(name: "KernelReader", dependencies: ["Model", "CProcessExit"], swiftSettings: strict),
        .target(
            name: "RuntimeReader",
            dependencies: [
                "Model",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(
            name: "KubeletReader",
            dependencies: [
                "Model",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),

        // HTTP serving (libmicrohttpd); knows nothing of collectors.
        .target(name: "Server", dependencies: ["CMicroHTTPD", "CMicroHTTPDShim", "CZlib", "Exposition"], swiftSettings: strict),

        // Wiring: flags, refresh loop, subcommands.
        .target(
            name: "CrisyncApp",
            dependencies: [
                "Model", "Exposition", "Collector", "Server", "KernelReader", "RuntimeReader", "KubeletReader",
                "ProcessSignals", "MallocTuning", "CBuildRevision", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "crisync-exporter", dependencies: ["CrisyncApp"], exclude: ["hot-text.ld"], swiftSettings: strict,
            // The shipped binary (release) is linked by lld, with relative relocations packed (RELR,
            // glibc 2.36+) and without exporting its 50,000 symbols: the loader then reads and writes
            // kilobytes at start instead of 5 MiB of relocations and symbol tables, and the process
            // starts 8 MiB smaller (BENCHMARKS.md). lld ships with the Swift toolchain.
            // The code that runs is laid out first and together (hot-text.ld, from
            // scripts/regen-link-order.sh), so what stays resident is that code, not the 64 KiB
            // around each function of it scattered over 32 MB.
            linkerSettings: [
                .unsafeFlags(
                    [
                        "-use-ld=lld", "-Xlinker", "--no-export-dynamic", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                        "-Xlinker", "--script=\(packageDirectory)/Sources/crisync-exporter/hot-text.ld",
                    ],
                    .when(platforms: [.linux], configuration: .release))
            ]),

        // Test support: a CRI driver that creates kubelet-like pods (real containerd), and a fake
        // kubelet serving kubelet-shaped `/pods` JSON (the kubelet cannot run on these machines).
        .target(
            name: "CRITestSupport",
            dependencies: [
                "Model", "RuntimeReader",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strict),
        .target(
            name: "KubeletTestSupport",
            dependencies: [
                "Model",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),
        // The demo and scenario tests: a kubelet mirroring the real runtime, and the orchestration.
        .target(
            name: "LabSupport",
            dependencies: ["Model", "RuntimeReader", "CRITestSupport", "KubeletTestSupport"],
            swiftSettings: strict),
        .executableTarget(
            name: "fake-kubelet",
            dependencies: ["KubeletTestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),
        .executableTarget(
            name: "crisync-lab",
            dependencies: ["LabSupport", "ProcessSignals", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),
        // Benchmarks (`make bench`): real node, synthetic scale, serving; see BENCHMARKS.md.
        .executableTarget(
            name: "crisync-bench",
            dependencies: [
                "Model", "Exposition", "Collector", "KernelReader", "RuntimeReader", "KubeletReader", "Server",
                "CRITestSupport", "KubeletTestSupport", "LabSupport", "ProcessSignals", "MallocTuning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),

        .testTarget(name: "ExpositionTests", dependencies: ["Exposition"], swiftSettings: strict),
        .testTarget(name: "ServerTests", dependencies: ["Server", "CZlib"], swiftSettings: strict),
        .testTarget(name: "KernelReaderTests", dependencies: ["KernelReader", "Model"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(
            name: "RuntimeReaderTests",
            dependencies: [
                "RuntimeReader", "Model", "CRITestSupport", "KernelReader",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "KubeletReaderTests", dependencies: ["KubeletReader", "Model", "KubeletTestSupport"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "CollectorTests", dependencies: ["Collector", "Model", "Exposition"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "CrisyncAppTests", dependencies: ["CrisyncApp", "CRITestSupport", "KubeletTestSupport", "LabSupport", "Collector", "RuntimeReader", "KubeletReader", "Model", "Exposition", "KernelReader", "Server", "MallocTuning"], resources: [.copy("Fixtures")], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
