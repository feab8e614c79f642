import Foundation
import Glibc

/// Starts a program with posix_spawn: stdin from /dev/null (or a file), stdout and stderr to files
/// (no pipe can fill up and block the child), default signal dispositions and an empty signal mask
/// (the test runner's own signal state must not leak into children), optionally in its own process
/// group so the whole group can be killed. Foundation's `Process.waitUntilExit()` waits on a run
/// loop, which can wait forever when called from a Swift concurrency thread; callers here use waitpid.
enum Spawn {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// - Parameters:
    ///   - stdinPath: the file the program reads as its standard input.
    ///   - stderrPath: nil sends stderr to `stdoutPath` too.
    ///   - searchPath: look `arguments[0]` up in `PATH` (posix_spawnp).
    static func start(
        _ arguments: [String], stdinPath: String = "/dev/null", stdoutPath: String, stderrPath: String? = nil,
        environment: [String: String]? = nil, newProcessGroup: Bool = true, searchPath: Bool = false
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if let stderrPath {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let environment = environment ?? Foundation.ProcessInfo.processInfo.environment
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned =
            searchPath
            ? posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
            : posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            throw Failure(description: "could not start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        return pid
    }

    /// The shell's `$?` for a waitpid status: the exit code, or 128 + the signal that ended it
    /// (WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import).
    static func exitCode(fromWaitStatus status: Int32) -> Int32 {
        status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
