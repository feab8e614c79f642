import RuntimeReader
import Testing

@Suite("containerd verbose info JSON")
struct ContainerInfoParserTests {
    static let sandbox = "2b3708d558dd953a05463cc08bf9d9688a798f8b776ef579f79ef84a44f548c1"
    static let podCgroup = "/crisync-lab/podae1b6c05-5c28-47ba-8329-29589e1b4512"

    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var pid: Int32?
        var cgroupsPath: String
        var testDescription: String { file }
    }

    @Test("real containerd 1.6.20 documents", arguments: [
        Case(file: "info-running.json", pid: 7545,
             cgroupsPath: podCgroup + "/98924ace25de4bc387cdb0e67220bf4590eb2c783194f22b82dfad2579eca556"),
        Case(file: "info-exited.json", pid: nil,
             cgroupsPath: podCgroup + "/aea5ad7042db2b50aa71ff0d8588d2cc370968df9edb0d97317b1608600644f1"),
        Case(file: "info-oomkilled.json", pid: nil,
             cgroupsPath: podCgroup + "/1f83d179fd1271ff22db5a5bec9961d62f413d54ed9007a7a618dff38d44d046"),
        Case(file: "info-created.json", pid: nil,
             cgroupsPath: podCgroup + "/3a00d9e9c7206c2dd48606de2eda0ec158dbfef0369c3f088e1460fae176adca"),
        // After a containerd restart the exited container keeps its old PID (FINDINGS d4a).
        Case(file: "info-exited-stale-pid.json", pid: 7544,
             cgroupsPath: podCgroup + "/aea5ad7042db2b50aa71ff0d8588d2cc370968df9edb0d97317b1608600644f1"),
        Case(file: "info-systemd-cgroup.json", pid: 7545,
             cgroupsPath: "kubepods-besteffort-pod0f6c2a4e_8b1d_4c3e_9a7f_5d2e1b6c8a90.slice:cri-containerd:"
                + "98924ace25de4bc387cdb0e67220bf4590eb2c783194f22b82dfad2579eca556"),
    ])
    func realDocuments(_ fixture: Case) throws {
        let info = try ContainerInfoParser.parse(
            try Fixture.text(fixture.file), containerID: "c1", endpoint: "unix:///run/test.sock")
        #expect(info == ContainerdInfo(pid: fixture.pid, sandboxID: Self.sandbox, cgroupsPath: fixture.cgroupsPath))
    }

    @Test("partial documents give nil fields, not errors", arguments: [
        ("{}", ContainerdInfo()),
        (#"{"pid": 42}"#, ContainerdInfo(pid: 42)),
        (#"{"pid": null, "sandboxID": ""}"#, ContainerdInfo()),
        (#"{"pid": 0, "sandboxID": "abc"}"#, ContainerdInfo(sandboxID: "abc")),
        (#"{"runtimeSpec": {"linux": null}}"#, ContainerdInfo()),
        (#"{"runtimeSpec": {"linux": {"cgroupsPath": ""}}}"#, ContainerdInfo()),
        (#"{"runtimeSpec": {"process": {"args": ["sh"]}}, "unknown": [1, {"x": 2}]}"#, ContainerdInfo()),
        (#"{"pid": 2147483647}"#, ContainerdInfo(pid: Int32.max)),
    ])
    func partialDocuments(_ json: String, expected: ContainerdInfo) throws {
        #expect(try ContainerInfoParser.parse(json, containerID: "c1", endpoint: "unix:///run/test.sock") == expected)
    }

    @Test("a verbose map without the info key is empty; with a broken one it fails")
    func infoMap() throws {
        #expect(try ContainerInfoParser.parse(infoMap: [:], containerID: "c1", endpoint: "e") == ContainerdInfo())
        #expect(try ContainerInfoParser.parse(infoMap: ["other": "x"], containerID: "c1", endpoint: "e") == ContainerdInfo())
        #expect(throws: RuntimeReaderError.self) {
            try ContainerInfoParser.parse(infoMap: ["info": "{"], containerID: "c1", endpoint: "e")
        }
    }

    @Test("malformed documents are a typed error naming the container and the endpoint", arguments: [
        ("", "document"),
        ("not json", "document"),
        (#"{"pid": 7545, "sandboxID": "#, "document"),
        ("[1, 2]", "document"),
        (#""a string""#, "document"),
        (#"{"pid": "7545"}"#, "pid"),
        (#"{"pid": 1.5}"#, "pid"),
        (#"{"pid": -3}"#, "pid"),
        (#"{"pid": 4294967296}"#, "pid"),
        (#"{"sandboxID": 7}"#, "sandboxID"),
        (#"{"runtimeSpec": []}"#, "runtimeSpec"),
        (#"{"runtimeSpec": {"linux": {"cgroupsPath": 1}}}"#, "runtimeSpec.linux.cgroupsPath"),
    ])
    func malformed(_ json: String, mentions field: String) throws {
        let error = #expect(throws: RuntimeReaderError.self) {
            try ContainerInfoParser.parse(json, containerID: "abc123", endpoint: "unix:///run/test.sock")
        }
        guard case .malformedInfo(let endpoint, let containerID, let reason) = try #require(error) else {
            Issue.record("expected malformedInfo, got \(String(describing: error))")
            return
        }
        #expect(endpoint == "unix:///run/test.sock")
        #expect(containerID == "abc123")
        #expect(reason.contains(field), "reason: \(reason)")
        let message = try #require(error).description
        #expect(!message.contains("\n"))
        #expect(message.contains("abc123") && message.contains("unix:///run/test.sock") && message.contains("malformed"))
    }
}
