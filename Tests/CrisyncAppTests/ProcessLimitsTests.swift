import Foundation
import Testing

@testable import CrisyncApp

@Suite("/proc/<pid>/limits parser")
struct ProcessLimitsTests {
    /// The file as Linux prints it (fs/proc/base.c, proc_pid_limits): `%-25s %-20s %-20s %-10s`,
    /// units left out for the two priority rows, so most lines end in padding spaces.
    static func limits(openFilesSoft: String, openFilesHard: String) -> String {
        let rows: [(String, String, String, String)] = [
            ("Limit", "Soft Limit", "Hard Limit", "Units"),
            ("Max cpu time", "unlimited", "unlimited", "seconds"),
            ("Max file size", "unlimited", "unlimited", "bytes"),
            ("Max data size", "unlimited", "unlimited", "bytes"),
            ("Max stack size", "8388608", "unlimited", "bytes"),
            ("Max core file size", "0", "unlimited", "bytes"),
            ("Max resident set", "unlimited", "unlimited", "bytes"),
            ("Max processes", "96365", "96365", "processes"),
            ("Max open files", openFilesSoft, openFilesHard, "files"),
            ("Max locked memory", "8388608", "8388608", "bytes"),
            ("Max address space", "unlimited", "unlimited", "bytes"),
            ("Max file locks", "unlimited", "unlimited", "locks"),
            ("Max pending signals", "96365", "96365", "signals"),
            ("Max msgqueue size", "819200", "819200", "bytes"),
            ("Max nice priority", "0", "0", ""),
            ("Max realtime priority", "0", "0", ""),
            ("Max realtime timeout", "unlimited", "unlimited", "us"),
        ]
        return rows.map { name, soft, hard, units in
            "\(name.padded(25)) \(soft.padded(20)) \(hard.padded(20)) " + (units.isEmpty ? "" : units.padded(10)) + "\n"
        }.joined()
    }

    @Test(arguments: [
        ("1024", "524288", 1024.0), ("20000", "20000", 20000), ("1048576", "unlimited", 1_048_576),
        ("unlimited", "unlimited", Double(UInt64.max)),
    ])
    func maxOpenFilesIsTheSoftLimit(soft: String, hard: String, expected: Double) {
        #expect(ProcessLimits.maxOpenFiles(in: Self.limits(openFilesSoft: soft, openFilesHard: hard)) == expected)
    }

    /// The neighbouring rows share the "Max " prefix; only the open-files row counts.
    @Test func otherRowsAreNotMistakenForOpenFiles() {
        let text = Self.limits(openFilesSoft: "4096", openFilesHard: "8192")
        #expect(ProcessLimits.softLimit(of: "Max processes", in: text) == 96365)
        #expect(ProcessLimits.softLimit(of: "Max file size", in: text) == ProcessLimits.unlimited)
        #expect(ProcessLimits.maxOpenFiles(in: text) == 4096)
    }

    /// This very process's file, against getrlimit: the parser reads the real thing, not just ours.
    @Test func readsTheLimitsOfThisProcess() throws {
        let text = try String(contentsOfFile: "/proc/self/limits", encoding: .utf8)
        var limit = rlimit()
        try #require(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        #expect(ProcessLimits.maxOpenFiles(in: text) == Double(limit.rlim_cur))
    }

    @Test(arguments: [
        "", "Limit                     Soft Limit           Hard Limit           Units     \n",
        "Max open files            \n", "Max open files            many                 many                 files     \n",
        "Max open files            -1                   -1                   files     \n",
    ])
    func missingOrMalformedRowIsNil(text: String) {
        #expect(ProcessLimits.maxOpenFiles(in: text) == nil)
    }
}

extension String {
    /// Left-aligned in a column at least `width` wide, as printf's `%-Ns`.
    fileprivate func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
