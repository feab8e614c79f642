import Foundation
import Glibc
import Testing

@testable import CrisyncApp

/// The exporter's command line, as the binary sees it. Refusing to start: exit 2 with one line naming
/// the flag for a bad flag value, exit 1 with one line naming the address when the port is taken.
@Suite("exporter binary: command line", .timeLimit(.minutes(3)))
struct ExporterCommandLineTests {
    /// Sources that fail fast, and a port of its own: should a bad value be accepted after all, the
    /// exporter starts and the run times out instead of fighting over :9731.
    static let validFlags = [
        ("--web.listen-address", "127.0.0.1:0"), ("--runtime.endpoint", "unix:///nonexistent.sock"),
        ("--kubelet.url", "http://127.0.0.1:1"),
    ]

    static func arguments(_ flag: String, _ value: String) -> [String] {
        // --flag=value, so that values starting with "-" are values, not flags.
        validFlags.filter { $0.0 != flag }.flatMap { [$0.0, $0.1] } + ["\(flag)=\(value)"]
    }

    static func lines(_ text: String) -> [Substring] {
        text.split(separator: "\n", omittingEmptySubsequences: true)
    }

    @Test(arguments: [
        ("--web.listen-address", "not-an-address"), ("--web.listen-address", "127.0.0.1:70000"),
        ("--web.listen-address", "300.1.1.1:9731"), ("--web.telemetry-path", "metrics"), ("--web.max-requests", "many"),
        ("--web.max-requests", "-1"), ("--log.level", "verbose"), ("--log.format", "xml"), ("--collector.interval", "5"),
        ("--collector.interval", "10ms"), ("--runtime.timeout", "0s"), ("--runtime.timeout", "soon"),
        ("--runtime.endpoint", "tcp://127.0.0.1:1"), ("--kubelet.url", "ftp://127.0.0.1"), ("--kubelet.url", "127.0.0.1:10250"),
        ("--kubelet.url", "http://[::1:10250"), ("--kubelet.url", "http://:10255"),
    ])
    func badFlagValueExitsTwoWithOneLineNamingTheFlag(flag: String, value: String) async throws {
        let binary = try ExplainProcessRunner.exporterBinary()
        let outcome = try await ExplainProcessRunner.run(binary, Self.arguments(flag, value), timeout: .seconds(20))
        #expect(!outcome.timedOut, "\(flag)=\(value) was accepted: the exporter started")
        #expect(outcome.status == 2, "\(flag)=\(value): exit \(outcome.status)\n\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty, "\(outcome.stdout)")
        let lines = Self.lines(outcome.stderr)
        #expect(lines.count == 1, "one line, got:\n\(outcome.stderr)")
        #expect(lines.first?.contains(flag) == true, "the line names \(flag): \(outcome.stderr)")
    }

    @Test func portInUseExitsOneWithOneLineNamingTheAddress() async throws {
        let (socket, port) = try Self.listenOnLoopback()
        defer { close(socket) }
        let address = "127.0.0.1:\(port)"
        let binary = try ExplainProcessRunner.exporterBinary()
        let outcome = try await ExplainProcessRunner.run(
            binary, Self.arguments("--web.listen-address", address), timeout: .seconds(20))
        #expect(!outcome.timedOut, "the exporter started on a port already taken")
        #expect(outcome.status == 1, "exit \(outcome.status)\n\(outcome.stderr)")
        let lines = Self.lines(outcome.stdout + outcome.stderr)
        #expect(lines.count == 1, "one line, got:\n\(outcome.stdout)\(outcome.stderr)")
        #expect(lines.first?.contains(address) == true, "the line names \(address): \(outcome.stderr)")
    }

    /// --help says where the node name comes from once, and the same whatever $NODE_NAME holds.
    @Test func helpGivesTheNodeNameDefaultOnce() async throws {
        let binary = try ExplainProcessRunner.exporterBinary()
        var environment = Foundation.ProcessInfo.processInfo.environment
        environment["NODE_NAME"] = "node-a"
        let withNodeName = try await ExplainProcessRunner.run(binary, ["--help"], environment: environment)
        environment["NODE_NAME"] = nil
        let withoutNodeName = try await ExplainProcessRunner.run(binary, ["--help"], environment: environment)
        #expect(withNodeName.status == 0 && withoutNodeName.status == 0)
        #expect(withNodeName.stdout == withoutNodeName.stdout, "--help depends on $NODE_NAME")

        // The --node.name entry: its line and the wrapped lines under it, up to the next flag.
        let lines = Self.lines(withNodeName.stdout)
        let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--node.name") })
        let next = lines[(start + 1)...].firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("-") } ?? lines.endIndex
        let entry = lines[start..<next].map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        #expect(entry.components(separatedBy: "default").count == 2, "one default: \(entry)")
        #expect(entry.contains("(default: $NODE_NAME)"), "\(entry)")
    }

    @Test(arguments: [
        ([String](), [String: String](), ""), ([], ["NODE_NAME": "node-a"], "node-a"),
        (["--node.name", "node-b"], ["NODE_NAME": "node-a"], "node-b"), (["--node.name", "node-b"], [:], "node-b"),
    ])
    func nodeNameIsTheFlagElseNodeNameFromTheEnvironment(arguments: [String], environment: [String: String], expected: String)
        throws
    {
        #expect(try SourceOptions.parse(arguments).nodeName(environment: environment) == expected)
    }

    /// A refused duration or size says what one looks like, not only that it was refused.
    @Test(arguments: [
        ("--collector.interval", "5", "expected a duration such as"), ("--kubelet.timeout", "5 seconds", "expected a duration such as"),
        ("--kubelet.max-bytes", "64M", "expected a positive size"),
    ])
    func refusedDurationOrSizeSaysWhatOneLooksLike(flag: String, value: String, hint: String) async throws {
        let binary = try ExplainProcessRunner.exporterBinary()
        let outcome = try await ExplainProcessRunner.run(binary, Self.arguments(flag, value), timeout: .seconds(20))
        #expect(outcome.status == 2, "\(flag)=\(value): exit \(outcome.status)\n\(outcome.stderr)")
        #expect(outcome.stderr.contains(flag) && outcome.stderr.contains(hint), "\(outcome.stderr)")
    }

    /// The spellings of Prometheus' flag library that ArgumentParser alone refuses, parsed as kingpin does.
    @Test func emptyValuesAndBooleanValuesAreAcceptedAsPrometheusToolsAcceptThem() throws {
        let parsed = try SourceOptions.parse(
            FlagSpelling.normalized(["--kubelet.token-file=", "--kubelet.ca-file=", "--kubelet.insecure-skip-tls-verify=true"]))
        #expect(parsed.kubeletTokenFile == "")
        #expect(parsed.kubeletCAFile == "")
        #expect(parsed.kubeletInsecureSkipTLSVerify)
        #expect(!(try SourceOptions.parse(FlagSpelling.normalized(["--kubelet.insecure-skip-tls-verify=false"]))).kubeletInsecureSkipTLSVerify)
        #expect(try SourceOptions.parse(FlagSpelling.normalized(["--node.name=", "--kubelet.url=http://a:1/x=y"])).kubeletURL == "http://a:1/x=y")
        // After `--`, nothing is rewritten; a value that is not a boolean is left for ArgumentParser to refuse.
        #expect(FlagSpelling.normalized(["--", "--kubelet.ca-file="]) == ["--", "--kubelet.ca-file="])
        #expect(FlagSpelling.normalized(["--kubelet.insecure-skip-tls-verify=maybe"]) == ["--kubelet.insecure-skip-tls-verify=maybe"])
        #expect(throws: (any Error).self) { try SourceOptions.parse(FlagSpelling.normalized(["--kubelet.insecure-skip-tls-verify=maybe"])) }
    }

    /// The booleans FlagSpelling knows are exactly the exporter's and explain's flags that take no value.
    @Test func flagSpellingKnowsEveryBooleanFlag() async throws {
        let binary = try ExplainProcessRunner.exporterBinary()
        var helpText = ""
        for arguments in [["--help"], ["explain", "--help"]] {
            let outcome = try await ExplainProcessRunner.run(binary, arguments)
            #expect(outcome.status == 0)
            helpText += outcome.stdout
        }
        // In --help, a flag that takes a value is followed by its <value>.
        let flags = helpText.matches(of: /\n\s+(--[a-z][a-z.-]*)(\s+<)?/).filter { $0.output.2 == nil }.map { String($0.output.1) }
        let booleans = Set(flags).subtracting(["--help", "--version"])
        #expect(booleans == FlagSpelling.booleanFlags, "\(booleans.sorted())")
    }

    @Test func versionNamesTheRevisionAndTheSwiftVersion() async throws {
        let binary = try ExplainProcessRunner.exporterBinary()
        let outcome = try await ExplainProcessRunner.run(binary, ["--version"])
        #expect(outcome.status == 0)
        #expect(
            outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == "crisync-exporter, version \(BuildInfo.version) (revision: \(BuildInfo.revision), swift: \(BuildInfo.swiftVersion))")
    }

    /// A TCP socket listening on 127.0.0.1 at a port the kernel picks, and that port.
    static func listenOnLoopback() throws -> (socket: Int32, port: UInt16) {
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ScenarioError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                bind(descriptor, sockaddrPointer, length) == 0 && listen(descriptor, 8) == 0
                    && getsockname(descriptor, sockaddrPointer, &length) == 0
            }
        }
        guard bound else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ScenarioError("listening on 127.0.0.1:0: \(reason)")
        }
        return (descriptor, UInt16(bigEndian: address.sin_port))
    }
}
