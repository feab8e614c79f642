import Exposition
import Foundation
import Glibc
import Testing

@testable import CrisyncApp

/// The self-metrics of the test process itself, checked against what the kernel reports through
/// other interfaces (getrusage, getrlimit, /proc/self/status). Serialized: the open-fds test counts
/// descriptors, and the suite's other tests must not open or close any meanwhile.
@Suite("self-metrics: crisync_build_info and process_* of this very process", .serialized)
struct SelfMetricsTests {
    static let processFamilyNames = [
        "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds",
        "process_max_fds", "process_start_time_seconds",
    ]

    /// The one unlabelled sample of `name`.
    static func value(_ name: String, in families: [MetricFamily] = SelfMetrics.families()) throws -> Double {
        let family = try #require(families.first { $0.name == name }, "\(name) is missing")
        #expect(family.samples.count == 1, "\(name)")
        let sample = try #require(family.samples.first)
        #expect(sample.labels.isEmpty, "\(name)")
        return sample.value
    }

    @Test func buildInfoIsOneLabelledByVersionRevisionAndSwiftVersion() throws {
        let family = try #require(SelfMetrics.families().first { $0.name == "crisync_build_info" })
        #expect(family.type == .gauge)
        let sample = try #require(family.samples.first)
        #expect(family.samples.count == 1)
        #expect(sample.value == 1)
        #expect(sample.labels.map(\.name).sorted() == ["revision", "swift_version", "version"])
        let labels = Dictionary(uniqueKeysWithValues: sample.labels.map { ($0.name, $0.value) })
        #expect(labels["version"] == BuildInfo.version)
        #expect(labels["revision"] == BuildInfo.revision)
        #expect(labels["swift_version"] == BuildInfo.swiftVersion)
        for (name, value) in labels { #expect(!value.isEmpty, "\(name) is empty") }
        #expect(BuildInfo.swiftVersion.wholeMatch(of: /[0-9]+\.[0-9]+/) != nil, "\(BuildInfo.swiftVersion)")
    }

    /// The revision is what the build was given in $CRISYNC_REVISION (scripts/test.sh exports the commit
    /// checked out, as every script that builds does), "unknown" for a build without it: this fails on a
    /// binary that ignores it, or one left from another commit.
    @Test func revisionIsTheOneTheBuildWasGiven() throws {
        let given = ProcessInfo.processInfo.environment["CRISYNC_REVISION"].flatMap { $0.isEmpty ? nil : $0 }
        #expect(BuildInfo.revision == given ?? "unknown")
        guard given != nil else { return }
        let packageDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let script = Process()
        script.executableURL = packageDirectory.appendingPathComponent("scripts/revision.sh")
        let output = Pipe()
        script.standardOutput = output
        try script.run()
        script.waitUntilExit()
        let current = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(current.wholeMatch(of: /[0-9a-f]{12}(-dirty)?/) != nil, "scripts/revision.sh: \(current)")
        #expect(BuildInfo.revision.prefix(12) == current.prefix(12), "built from \(BuildInfo.revision), checked out \(current)")
    }

    @Test func everyProcessFamilyIsPresentWithItsType() throws {
        let families = SelfMetrics.families()
        for name in Self.processFamilyNames {
            let family = try #require(families.first { $0.name == name }, "\(name) is missing")
            #expect(family.type == (name.hasSuffix("_total") ? .counter : .gauge), "\(name)")
            #expect(!family.help.isEmpty, "\(name)")
            _ = try Self.value(name, in: families)
        }
        // Valid names and escapes: the families render (the writer validates as it goes).
        _ = try TextWriter.render(families, format: .prometheusText)
    }

    /// /proc counts CPU time in clock ticks, getrusage in microseconds: they agree to a few ticks.
    @Test func cpuSecondsAgreeWithGetrusage() throws {
        // Burn some CPU first, so an idle test process cannot pass with a value stuck at 0.
        let burnUntil = Self.rusageCPUSeconds() + 0.05
        var spin = 0.0
        while Self.rusageCPUSeconds() < burnUntil { spin += sin(spin) }
        #expect(spin.isFinite)

        let before = Self.rusageCPUSeconds()
        let cpu = try Self.value("process_cpu_seconds_total")
        let after = Self.rusageCPUSeconds()
        #expect(cpu > 0)
        #expect(cpu >= before - 0.05 && cpu <= after + 0.05, "process_cpu_seconds_total \(cpu), getrusage \(before)...\(after)")
    }

    /// Against VmRSS and VmSize of /proc/self/status (KiB), read by other code from another file;
    /// loose bounds, as the allocator moves between the two reads.
    @Test func memoryAgreesWithProcStatus() throws {
        let families = SelfMetrics.families()
        let resident = try Self.value("process_resident_memory_bytes", in: families)
        let virtual = try Self.value("process_virtual_memory_bytes", in: families)
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let statusResident = try #require(Self.kibibytes("VmRSS:", in: status))
        let statusVirtual = try #require(Self.kibibytes("VmSize:", in: status))
        #expect(resident > Double(1 << 20), "a Swift test process uses more than 1 MiB: \(resident)")
        #expect(resident >= statusResident / 2 && resident <= statusResident * 2, "\(resident) vs VmRSS \(statusResident)")
        #expect(virtual >= resident)
        #expect(virtual >= statusVirtual / 2 && virtual <= statusVirtual * 2, "\(virtual) vs VmSize \(statusVirtual)")
    }

    @Test func openFdsFollowTheDescriptorsThisTestOpens() throws {
        let before = try Self.value("process_open_fds")
        #expect(before >= 3, "stdin, stdout, stderr at least")
        let extra = (0..<100).map { _ in open("/dev/null", O_RDONLY) }
        #expect(extra.allSatisfy { $0 >= 0 })
        let during = try Self.value("process_open_fds")
        for descriptor in extra where descriptor >= 0 { close(descriptor) }
        let after = try Self.value("process_open_fds")
        // Other suites may run in this process at the same time and open or close a few.
        #expect(abs(during - before - 100) <= 10, "before \(before), with 100 more open \(during)")
        #expect(abs(after - before) <= 10, "before \(before), after closing them \(after)")
    }

    @Test func maxFdsIsTheSoftOpenFilesLimit() throws {
        var limit = rlimit()
        try #require(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        #expect(try Self.value("process_max_fds") == Double(limit.rlim_cur))
    }

    /// Read from the procfs root it is given, not from getrlimit: a made-up limits file shows.
    @Test func maxFdsIsReadFromTheGivenProcDirectory() throws {
        let directory = try ExplainProcessRunner.temporaryDirectory("proc-self")
        defer { try? FileManager.default.removeItem(at: directory) }
        let limits = ProcessLimitsTests.limits(openFilesSoft: "4242", openFilesHard: "unlimited")
        try limits.write(to: directory.appendingPathComponent("limits"), atomically: true, encoding: .utf8)
        let families = SelfMetrics.processFamilies(procSelf: directory.path)
        #expect(try Self.value("process_max_fds", in: families) == 4242)
        // Nothing else was there to read: those families are left out, not made up.
        #expect(families.map(\.name) == ["process_max_fds"])
    }

    @Test func startTimeIsWithinTheLastDayAndNotInTheFuture() throws {
        let start = try Self.value("process_start_time_seconds")
        let now = Date().timeIntervalSince1970
        // btime in /proc/stat is whole seconds: allow one second of rounding.
        #expect(start <= now + 1, "start \(start) is after now \(now)")
        #expect(start > now - 86400, "start \(start) is more than a day before now \(now)")
    }

    static func rusageCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// A `Name:   1234 kB` line of /proc/<pid>/status, in bytes.
    static func kibibytes(_ field: String, in status: String) -> Double? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return nil }
        return line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap { Double($0) }.map { $0 * 1024 }
    }
}
