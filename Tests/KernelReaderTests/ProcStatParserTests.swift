import KernelReader
import Model
import Testing

@Suite("ProcStatParser")
struct ProcStatParserTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var line: String
        var expected: ProcStat
        var testDescription: String { name }
    }

    /// Lines as containerd-lab stored them (`shared/reference/cri-results`, cut to 200 characters, so
    /// most lack the later fields) and whole lines from this kernel.
    static let cases: [Case] = [
        Case(
            name: "container init, sleeping (cut at 200 chars)",
            line:
                "18543 (sleep) S 18473 18543 18543 0 -1 4194560 754 0 0 0 0 0 0 0 20 0 1 0 131082 2322432 292 18446744073709551615 4198400 5785993 140729178355264 0 0 0 0 0 0 1 0 0 17 1 0 0 0 0 0 6141704 6178576 52298",
            expected: ProcStat(pid: 18543, command: "sleep", state: .sleeping, ppid: 18473, startTimeTicks: 131_082)),
        Case(
            name: "shim, trailing space (cut at 200 chars)",
            line:
                "14745 (containerd-shim) S 1 14745 13505 0 -1 4194304 996 2981 0 0 0 0 2 0 20 0 11 0 121849 1498660864 3321 18446744073709551615 6234112 10906689 140737218365088 0 0 0 1002055680 0 2143420159 0 0 0 17 ",
            expected: ProcStat(pid: 14745, command: "containerd-shim", state: .sleeping, ppid: 1, startTimeTicks: 121_849)),
        Case(
            name: "shim stopped by SIGSTOP",
            line:
                "10712 (containerd-shim) T 1 10712 10623 0 -1 4194304 1001 2911 0 0 0 0 2 1 20 0 12 0 115141 1573900288 3314 18446744073709551615 6234112 10906689 140736074603632 0 0 0 1002055680 0 2143420159 0 0 0 17",
            expected: ProcStat(pid: 10712, command: "containerd-shim", state: .stopped, ppid: 1, startTimeTicks: 115_141)),
        Case(
            name: "zombie killed by SIGKILL (wait status 9)",
            line:
                "14794 (sleep) Z 14745 14794 14794 0 -1 4228364 634 0 0 0 0 0 0 0 20 0 1 0 121857 0 0 18446744073709551615 0 0 0 0 0 0 0 65536 0 1 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 9",
            expected: ProcStat(pid: 14794, command: "sleep", state: .zombie, ppid: 14745, startTimeTicks: 121_857, exitCode: 9)),
        Case(
            name: "zombie reparented to pid 1",
            line:
                "18661 (sleep) Z 1 18661 18661 0 -1 4228364 566 0 0 0 0 0 0 0 20 0 1 0 131135 0 0 18446744073709551615 0 0 0 0 0 0 0 65536 0 1 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 9",
            expected: ProcStat(pid: 18661, command: "sleep", state: .zombie, ppid: 1, startTimeTicks: 131_135, exitCode: 9)),
        Case(
            name: "zombie that exited 3 (wait status 768), whole line with newline",
            line:
                "12385 (sh) Z 12383 12381 9017 0 -1 4227084 98 0 0 0 0 0 0 0 20 0 1 0 32055 0 0 18446744073709551615 0 0 0 0 0 0 0 6 0 1 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 768\n",
            expected: ProcStat(pid: 12385, command: "sh", state: .zombie, ppid: 12383, startTimeTicks: 32055, exitCode: 768)),
        Case(
            name: "running, whole line from this kernel",
            line:
                "11039 (cat) R 11032 11032 9017 0 -1 4194304 101 0 0 0 0 0 0 0 20 0 1 0 25372 3133440 379 18446744073709551615 94509317402624 94509317422505 140734521759904 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 94509317438512 94509317440128 94510210109440 140734521764524 140734521764544 140734521764544 140734521765867 0\n",
            expected: ProcStat(pid: 11039, command: "cat", state: .running, ppid: 11032, startTimeTicks: 25372, exitCode: 0)),
        Case(
            name: "command with parentheses, spaces and a newline",
            line: "20001 (x) S 99 (y\n z) R 7723 20001 20001 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 131090 0 0",
            expected: ProcStat(pid: 20001, command: "x) S 99 (y\n z", state: .running, ppid: 7723, startTimeTicks: 131_090)),
        Case(
            name: "command that is only a closing parenthesis",
            line: "42 ()) D 2 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0",
            expected: ProcStat(pid: 42, command: ")", state: .diskSleep, ppid: 2, startTimeTicks: 7)),
        Case(
            name: "empty command, kernel thread idle state",
            line: "3 () I 2 0 0 0 -1 0 0 0 0 0 0 0 0 0 0 -20 1 0 2 0 0",
            expected: ProcStat(pid: 3, command: "", state: .idle, ppid: 2, startTimeTicks: 2)),
        Case(
            name: "unknown state letter",
            line: "5 (odd) Q 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0",
            expected: ProcStat(pid: 5, command: "odd", state: .unknown, ppid: 1, startTimeTicks: 9)),
    ]

    @Test(arguments: cases)
    func parsesRealShapedLines(_ testCase: Case) throws {
        #expect(try ProcStatParser.parse(testCase.line) == testCase.expected)
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var line: String
        var error: KernelParseError
        var testDescription: String { String(describing: error) }
    }

    static let badCases: [BadCase] = [
        BadCase(line: "", error: .empty),
        BadCase(line: "30002 (sle", error: .missingCommandName),
        BadCase(line: "30002 sleep S 1", error: .missingCommandName),
        BadCase(line: "30002 )sleep( S 1", error: .missingCommandName),
        BadCase(line: "30002 (sleep)", error: .missingField("state")),
        BadCase(line: "30002 (sleep) S", error: .missingField("ppid")),
        BadCase(line: "30002 (sleep) S 1 2 3 4 5", error: .missingField("starttime")),
        BadCase(line: "(sleep) S 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0", error: .invalidField(name: "pid", value: "")),
        BadCase(line: "x1 (sleep) S 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9", error: .invalidField(name: "pid", value: "x1")),
        BadCase(line: "-4 (sleep) S 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9", error: .invalidField(name: "pid", value: "-4")),
        BadCase(line: "99999999999 (sleep) S 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9", error: .invalidField(name: "pid", value: "99999999999")),
        BadCase(line: "1\n2 (sleep) S 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9", error: .invalidField(name: "pid", value: "1\\n2")),
        BadCase(line: "7 (sleep) SR 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9", error: .invalidField(name: "state", value: "SR")),
        BadCase(line: "7 (sleep) S -1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9", error: .invalidField(name: "ppid", value: "-1")),
        BadCase(line: "7 (sleep) S one 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9", error: .invalidField(name: "ppid", value: "one")),
        BadCase(line: "7 (sleep) S 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9x", error: .invalidField(name: "starttime", value: "9x")),
        BadCase(line: "7 (sleep) S 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -9", error: .invalidField(name: "starttime", value: "-9")),
        BadCase(
            line: "7 (sleep) Z 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9" + String(repeating: " 0", count: 29) + " nine",
            error: .invalidField(name: "exit_code", value: "nine")),
    ]

    @Test(arguments: badCases)
    func rejectsMalformedLines(_ testCase: BadCase) {
        #expect(throws: testCase.error) { try ProcStatParser.parse(testCase.line) }
    }

    /// Every prefix of a whole line either parses or throws: truncation at any byte never crashes,
    /// and a line cut before `starttime` is always refused. (A cut inside a number cannot be seen.)
    @Test func everyTruncationParsesOrThrows() throws {
        let text = Self.cases[3].line
        let line = Array(text.utf8)
        let startTime = try #require(text.range(of: " 121857 "))
        let startTimeBegins = text.utf8.distance(from: text.startIndex, to: startTime.lowerBound) + 1
        let startTimeEnds = startTimeBegins + 6
        for length in 0...line.count {
            let prefix = Array(line.prefix(length))
            if length <= startTimeBegins {
                #expect(throws: KernelParseError.self, "prefix of \(length) bytes") { try ProcStatParser.parse(prefix) }
            } else {
                let stat = try ProcStatParser.parse(prefix)
                #expect(stat.pid == 14794 && stat.state == .zombie && stat.ppid == 14745)
                #expect(stat.startTimeTicks == (length >= startTimeEnds ? 121_857 : UInt64(String(decoding: line[startTimeBegins..<length], as: UTF8.self))))
                #expect(stat.exitCode == (length == line.count ? 9 : nil))
            }
        }
    }

    /// Random byte flips over real lines: the parser answers or throws, and whatever it answers keeps
    /// the invariants (positive pid, non-negative ppid).
    @Test func randomMutationsNeverCrash() {
        var generator = SplitMix64(seed: 0x6372_6973_796E_63)
        let seeds = Self.cases.map { Array($0.line.utf8) }
        let alphabet = Array("0123456789 ()\nSZRT-x".utf8)
        var parsed = 0
        for round in 0..<20_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int(generator.next() % 4 + 1) {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                }
                if bytes.isEmpty { break }
            }
            if let stat = try? ProcStatParser.parse(bytes) {
                parsed += 1
                #expect(stat.pid > 0 && stat.ppid >= 0)
            }
        }
        // Some mutations leave the line valid; if none parsed, the test itself would be broken.
        #expect(parsed > 1000)
    }
}

/// A small deterministic generator so fuzz failures can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("ProcStatmParser")
struct ProcStatmParserTests {
    @Test(arguments: [
        ("1096 206 182 5 0 102 0\n", true as Bool?),
        ("0 0 0 0 0 0 0\n", false),
        ("000 0 0 0 0 0 0\n", false),
        ("7", true),
        ("", nil),
        ("x 0 0", nil),
        ("-1 0 0", nil),
        ("12a 0", nil),
    ])
    func sizeTellsWhetherTheProcessHasMemory(text: String, expected: Bool?) {
        #expect(ProcStatmParser.hasMemory(Array(text.utf8)) == expected)
    }
}
