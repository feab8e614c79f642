import CFuzzDriver
import Glibc

/// `crisync-fuzz <target> [libFuzzer flags] [corpus directories or files]`
///
/// One binary for every target, so the fuzz build links once; libFuzzer sees the arguments after
/// the target name, exactly as if the binary were that target alone.
@main
struct CrisyncFuzz {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            printError("usage: crisync-fuzz <target> [libFuzzer options] [corpus...]\ntargets: \(names)")
            exit(2)
        }
        selectedTarget = target
        target.prepare()
        // argv for libFuzzer: the program name, then everything after the target name.
        var forwarded = [strdup(arguments[0])] + arguments.dropFirst(2).map { strdup($0) } + [nil]
        var argc = CInt(forwarded.count - 1)
        let status = forwarded.withUnsafeMutableBufferPointer { buffer in
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
            return LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput)
        }
        exit(status)
    }
}

/// Set once in `main`, before libFuzzer starts calling in (from this thread only).
nonisolated(unsafe) var selectedTarget = FuzzTarget.procStat

private let fuzzOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt = { data, size in
    selectedTarget.run(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}

/// Fails the run the way libFuzzer records it (a crash with the input saved), for broken invariants.
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        printError("invariant broken: \(message())")
        abort()
    }
}

/// Error descriptions are one line (they end up in logfmt logs): a newline would split a log entry.
func checkOneLine(_ error: any Error) {
    let text = "\(error)"
    invariant(!text.contains("\n") && !text.contains("\r"), "error description spans lines: \(text.debugDescription)")
}

/// One line on stderr (Glibc's `stderr` global is not concurrency-safe in Swift 6).
func printError(_ text: String) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
