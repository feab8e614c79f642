import Exposition
import Foundation
import Glibc

/// The metrics every Prometheus exporter is expected to expose about itself: build info and the
/// standard `process_*` family, read from this process's own procfs entry (always the real /proc,
/// whatever --path.procfs says: that flag is for the host's view of containers).
enum SelfMetrics {
    static func families(procSelf: String = "/proc/self") -> [MetricFamily] {
        var families = [
            MetricFamily(
                name: "crisync_build_info", help: "A metric with a constant '1' value labeled by version, revision and Swift version.",
                type: .gauge,
                samples: [
                    Sample(labels: [Label("version", BuildInfo.version), Label("revision", BuildInfo.revision), Label("swift_version", BuildInfo.swiftVersion)], value: 1)
                ])
        ]
        families.append(contentsOf: processFamilies(procSelf: procSelf))
        return families
    }

    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    private static let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))

    static func processFamilies(procSelf: String) -> [MetricFamily] {
        var families: [MetricFamily] = []
        func gauge(_ name: String, _ help: String, _ value: Double) {
            families.append(MetricFamily(name: name, help: help, type: .gauge, samples: [Sample(value: value)]))
        }
        if let stat = try? String(contentsOfFile: procSelf + "/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // fields[0] is field 3 (state) of proc(5): utime=14, stime=15, starttime=22, vsize=23, rss=24.
            if fields.count > 21, let utime = Double(fields[11]), let stime = Double(fields[12]),
                let start = Double(fields[19]), let vsize = Double(fields[20]), let rss = Double(fields[21])
            {
                families.append(
                    MetricFamily(
                        name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.", type: .counter,
                        samples: [Sample(value: (utime + stime) / ticksPerSecond)]))
                gauge("process_resident_memory_bytes", "Resident memory size in bytes.", rss * pageSize)
                gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", vsize)
                if let bootTime = bootTime() {
                    gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", bootTime + start / ticksPerSecond)
                }
            }
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: procSelf + "/fd") {
            gauge("process_open_fds", "Number of open file descriptors.", Double(fds.count))
        }
        if let limits = try? String(contentsOfFile: procSelf + "/limits", encoding: .utf8),
            let maxOpenFiles = ProcessLimits.maxOpenFiles(in: limits)
        {
            gauge("process_max_fds", "Maximum number of open file descriptors.", maxOpenFiles)
        }
        return families
    }

    private static func bootTime() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
