import CRITestSupport
import Foundation
import Glibc
import Testing

/// Issue 7's least privilege, as far as this machine can test it: the exporter binary runs as the
/// DaemonSet runs it (uid/gid 65534, supplementary group 0 for the containerd socket, no
/// capabilities at all, no_new_privs) and still reads all three sources and judges a dead process
/// behind a wedged shim, holding no file open for writing. Without group 0 the runtime is refused:
/// that group is the one privilege beyond "nobody" it takes. (The kubelet's `get nodes/pods` needs a
/// real API server; deploy/kubernetes/clusterrole.yaml is checked by scripts/check-monitoring.sh.)
@Suite("Least privilege: the exporter binary as nobody, no capabilities", .serialized, .timeLimit(.minutes(2)))
struct FaultLeastPrivilegeTests {
    static func setpriv(groups: [String]) -> [String] {
        ["/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534"] + groups + [
            "--inh-caps", "-all", "--ambient-caps", "-all", "--bounding-set", "-all", "--no-new-privs", "--",
        ]
    }

    /// Values of a `/proc/<pid>/status` line, e.g. `Uid`.
    static func statusLine(_ name: String, of pid: pid_t) -> String {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
        return line.dropFirst(name.count + 1).split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Files (not sockets, pipes or /dev/null) the process holds open for writing, besides stdin,
    /// stdout and stderr.
    static func filesOpenForWriting(by pid: pid_t) -> [String] {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        return descriptors.compactMap { entry -> String? in
            guard let fd = Int(entry), fd > 2,
                let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(entry)"),
                target.hasPrefix("/"), target != "/dev/null",
                let info = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(entry)", encoding: .utf8),
                let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags:") }),
                let flags = Int(flagsLine.dropFirst("flags:".count).trimmingCharacters(in: .whitespaces), radix: 8)
            else { return nil }
            return flags & Int(O_ACCMODE) != Int(O_RDONLY) ? "\(fd) -> \(target)" : nil
        }
    }

    @Test("as uid 65534 with group 0 and no capabilities: runtime, procfs and kubelet read, a zombie judged, nothing open for writing")
    func asNobody() async throws {
        try await FaultRig.with("nobody", Self.asNobody)
    }

    static func asNobody(_ rig: FaultRig) async throws {
        let pod = try await rig.driver.runPod(name: "ghost", namespace: "fault")
        let container = try await rig.driver.runContainer(in: pod, name: "app", command: ["sleep", "3600"])
        let appPID = try #require(try await rig.driver.status(ofContainer: container).pid)
        let shim = try #require(LabProcesses.shimPID(ofSandbox: pod.id, socketPath: rig.lab.socket))
        try await LabProcesses.whileStopped(shim) {
            kill(appPID, SIGKILL)
            #expect(await LabProcesses.wait(upTo: .seconds(5)) { LabProcesses.stateLetter(of: appPID) == "Z" })
            let exporter = try rig.startExporter(wrapper: Self.setpriv(groups: ["--groups", "0"]))
            defer { exporter.stop() }
            let judged = await eventually(.seconds(20)) {
                let metrics = try exporter.metrics()
                return metrics.up("runtime") == 1 && metrics.up("procfs") == 1 && metrics.up("kubelet") == 1
                    && metrics.divergenceSeconds(containerID: container, kind: "process_zombie") != nil
            }
            #expect(judged, "as nobody: \(exporter.dump)\n\(exporter.log)")
            // It really ran unprivileged.
            #expect(Self.statusLine("Uid", of: exporter.pid) == "65534 65534 65534 65534")
            #expect(Self.statusLine("Gid", of: exporter.pid) == "65534 65534 65534 65534")
            #expect(Self.statusLine("Groups", of: exporter.pid) == "0")
            for capabilities in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
                #expect(Self.statusLine(capabilities, of: exporter.pid) == "0000000000000000", "\(capabilities)")
            }
            #expect(Self.statusLine("NoNewPrivs", of: exporter.pid) == "1")
            #expect(Self.filesOpenForWriting(by: exporter.pid).isEmpty, "\(Self.filesOpenForWriting(by: exporter.pid))")
            #expect(exporter.isRunning)
        }
    }

    @Test("without group 0 the containerd socket is refused (the one privilege it takes); procfs still read")
    func withoutGroupZero() async throws {
        try await FaultRig.with("nogroup", Self.withoutGroupZero)
    }

    static func withoutGroupZero(_ rig: FaultRig) async throws {
        let exporter = try rig.startExporter(wrapper: Self.setpriv(groups: ["--clear-groups"]))
        defer { exporter.stop() }
        let refused = await eventually(.seconds(15)) {
            let metrics = try exporter.metrics()
            return metrics.up("procfs") == 1 && metrics.up("kubelet") == 1 && metrics.up("runtime") == 0
                && !exporter.logLines(with: ["msg=\"source down\"", "source=runtime"]).isEmpty
        }
        #expect(refused, "\(exporter.dump)\n\(exporter.log)")
        let line = exporter.logLines(with: ["msg=\"source down\"", "source=runtime"]).first ?? ""
        // The operator who forgot the socket's group must be told so, as for a missing socket or a
        // refused connection.
        #expect(line.lowercased().contains("permission denied"), "\(line)")
        #expect(Self.statusLine("Groups", of: exporter.pid) == "")
    }
}
