import CRITestSupport
import Foundation
import Glibc
import KubeletTestSupport
import Testing

/// Issue 7's kubelet faults at the level of the application: the real `crisync-exporter` binary,
/// a private containerd, and a fake kubelet that misbehaves, rotates its token or changes its CA
/// while the exporter runs. The reader-level cases are in Tests/KubeletReaderTests.
@Suite("Faults: the kubelet misbehaving, its token and CA rotated (exporter binary)", .serialized, .timeLimit(.minutes(3)))
struct FaultKubeletTests {
    /// A container that exited 1: a runtime finding (`crisync_abnormally_terminated_containers`)
    /// that needs no kubelet, so it must stay exported while the kubelet is down.
    static func abnormalExit(_ rig: FaultRig) async throws {
        let pod = try await rig.driver.runPod(name: "exits", namespace: "fault")
        let job = try await rig.driver.runContainer(in: pod, name: "job", command: ["sh", "-c", "exit 1"])
        _ = try await rig.driver.waitForContainer(id: job, state: .exited)
    }

    @Test(
        "d. kubelet 401, 403, 500, garbage JSON, too slow: one \"source down\" line per change, kubelet 0, runtime findings still exported")
    func kubeletMisbehaves() async throws {
        try await FaultRig.with("kubelet", Self.kubeletMisbehaves)
    }

    static func kubeletMisbehaves(_ rig: FaultRig) async throws {
        try await Self.abnormalExit(rig)
        let exporter = try rig.startExporter(["--kubelet.timeout", "1s"])
        defer { exporter.stop() }
        let ready = await eventually(.seconds(30)) {
            let metrics = try exporter.metrics()
            return metrics.up("kubelet") == 1 && metrics.up("runtime") == 1
                && metrics.value("crisync_abnormally_terminated_containers{reason=\"Error\"}") == 1
        }
        try #require(ready, "never saw the runtime finding with every source up: \(exporter.dump)")
        let down = ["msg=\"source down\"", "source=kubelet"]
        #expect(exporter.logLines(with: down).isEmpty)

        let faults: [(mode: FakeKubeletMode, mentions: String)] = [
            (.unauthorized, "401"), (.forbidden, "403"), (.serverError, "500"), (.garbage, "JSON"),
            (.slowHead(.seconds(5)), "within 1 s"),
        ]
        for (index, fault) in faults.enumerated() {
            rig.kubelet.setMode(fault.mode)
            let changed = await eventually(.seconds(10)) { exporter.logLines(with: down).count > index }
            #expect(changed, "\(fault.mode): no \"source down\" line")
            // Three more refreshes in the same fault: still down, still one line for it.
            let seen = try exporter.metrics().refreshTimestamp ?? 0
            let more = await eventually(.seconds(15)) { (try exporter.metrics().refreshTimestamp ?? 0) >= seen + 3 }
            #expect(more, "refreshes stopped in \(fault.mode)")
            let metrics = try exporter.metrics()
            #expect(metrics.up("kubelet") == 0, "\(fault.mode): kubelet up \(metrics.up("kubelet") ?? -1)")
            #expect(metrics.up("runtime") == 1 && metrics.up("procfs") == 1, "\(fault.mode): runtime or procfs down")
            #expect(
                metrics.value("crisync_abnormally_terminated_containers{reason=\"Error\"}") == 1,
                "\(fault.mode): the runtime finding is gone")
            #expect(metrics.values("crisync_containers", with: ["source=\"kubelet\""]).isEmpty, "\(fault.mode): kubelet counts while down")
            let lines = exporter.logLines(with: down)
            #expect(lines.count == index + 1, "\(fault.mode): \(lines.count) \"source down\" lines: \(lines)")
            if let last = lines.last {
                #expect(last.contains(fault.mentions), "\(fault.mode): the line does not say \(fault.mentions): \(last)")
                #expect(last.contains("level=error"))
            }
        }

        rig.kubelet.setMode(.ok)
        #expect(await eventually(.seconds(10)) { try exporter.metrics().up("kubelet") == 1 })
        #expect(exporter.logLines(with: ["msg=\"source up\"", "source=kubelet"]).count == 1)
        #expect(exporter.logLines(with: down).count == faults.count)
        #expect(
            exporter.logLines(with: ["source=runtime"]).isEmpty,
            "the runtime was never down: \(exporter.logLines(with: ["source=runtime"]))")
        #expect(exporter.isRunning)
    }

    @Test("e. HTTPS kubelet: the token file rotated and the CA file replaced mid-run are used at the next refresh, no restart")
    func tokenAndCARotation() async throws {
        try await FaultRig.with("rotation", Self.tokenAndCARotation)
    }

    static func tokenAndCARotation(_ rig: FaultRig) async throws {
        let certificates = try KubeletTestSupport.TemporaryDirectory(prefix: "crisync-fault-pki")
        defer { certificates.remove() }
        let first = try TestCertificates.make(in: certificates.path, name: "first")
        let second = try TestCertificates.make(in: certificates.path, name: "second")
        let tokenFile = try rig.scratch.write("token", "token-one\n")
        // Written and renamed, as Kubernetes updates projected tokens and ConfigMap/Secret volumes.
        let wrongCA = try String(contentsOfFile: second.caCertificatePath, encoding: .utf8)
        let rightCA = try String(contentsOfFile: first.caCertificatePath, encoding: .utf8)
        let caFile = try rig.scratch.write("ca.crt", wrongCA)

        let kubelet = try await FakeKubelet.start(tls: first.serverTLS)
        kubelet.setPods([])
        kubelet.setRequiredToken("token-one")
        do {
            let exporter = try rig.startExporter(
                ["--kubelet.timeout", "2s"],
                kubeletArguments: [
                    "--kubelet.url", kubelet.url, "--kubelet.token-file", tokenFile, "--kubelet.ca-file", caFile,
                ])
            defer { exporter.stop() }
            let startTime = try exporter.metrics().value("process_start_time_seconds")
            let down = ["msg=\"source down\"", "source=kubelet"]

            // The kubelet's certificate is from a CA the file does not hold: refused, nothing sent.
            #expect(await eventually(.seconds(20)) { exporter.logLines(with: down).count == 1 })
            #expect(try exporter.metrics().up("kubelet") == 0)
            #expect(exporter.logLines(with: down).first?.contains("CERTIFICATE_VERIFY_FAILED") == true, "\(exporter.logLines(with: down))")
            #expect(kubelet.requests.isEmpty, "a request (and its token) reached a kubelet that is not trusted")

            // The CA file is replaced: trusted at the next refresh.
            try rig.scratch.write("ca.crt", rightCA)
            #expect(
                await eventually(.seconds(10)) { try exporter.metrics().up("kubelet") == 1 },
                "the replaced CA was not used: \(exporter.logLines(with: down))")
            #expect(kubelet.requests.last?.authorization == "Bearer token-one")

            // The old token is revoked: 401 until the file holds the new one.
            kubelet.setRequiredToken("token-two")
            #expect(await eventually(.seconds(10)) { try exporter.metrics().up("kubelet") == 0 })
            #expect(exporter.logLines(with: down).last?.contains("401") == true, "\(exporter.logLines(with: down))")
            try rig.scratch.write("token", "token-two\n")
            #expect(await eventually(.seconds(10)) { try exporter.metrics().up("kubelet") == 1 }, "the rotated token was not used")
            #expect(kubelet.requests.last?.authorization == "Bearer token-two")

            // And back to a CA that does not sign the kubelet's certificate: the kept-alive
            // connection made under the old CA is not reused.
            let requestsBefore = kubelet.requests.count
            try rig.scratch.write("ca.crt", wrongCA)
            #expect(await eventually(.seconds(10)) { try exporter.metrics().up("kubelet") == 0 }, "a removed CA is still trusted")
            #expect(kubelet.requests.count == requestsBefore, "requests went to a kubelet the CA file no longer vouches for")

            #expect(exporter.isRunning)
            #expect(try exporter.metrics().value("process_start_time_seconds") == startTime, "the exporter restarted")
            #expect(exporter.logLines(with: down).count == 3, "\(exporter.logLines(with: down))")
            #expect(exporter.logLines(with: ["msg=\"source up\"", "source=kubelet"]).count == 2)
        } catch {
            Issue.record(error)
        }
        await kubelet.stop()
    }
}
