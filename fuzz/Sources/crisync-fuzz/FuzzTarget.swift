import Exposition
import KernelReader
import KubeletPodList
import RuntimeInfoParsing

@testable import Server

/// One fuzz target per parser crisync feeds with input it does not control.
enum FuzzTarget: String, CaseIterable {
    /// `/proc/<pid>/stat` (KernelReader.ProcStatParser).
    case procStat = "proc-stat"
    /// `/proc/<pid>/cgroup` (KernelReader.ProcCgroupParser).
    case procCgroup = "proc-cgroup"
    /// cgroup and procfs key/value files, and CRI cgroupsPath strings (KernelReader).
    case cgroupFiles = "cgroup-files"
    /// containerd's verbose `info` JSON (RuntimeReader.ContainerInfoParser).
    case criInfo = "cri-info"
    /// The kubelet's `/pods` PodList JSON (KubeletReader.PodListDecoder).
    case kubeletPodList = "kubelet-podlist"
    /// `--web.config.file` (Server: the YAML subset and the exporter-toolkit rules).
    case webConfig = "web-config"
    /// Request header values: Accept, Accept-Encoding, Authorization, and listen addresses (Server, Exposition).
    case httpHeaders = "http-headers"
    /// Raw bytes sent to a live server (libmicrohttpd's parser and crisync's handler, with basic auth).
    case httpServer = "http-server"

    func prepare() {
        if self == .httpServer { LiveServer.startShared() }
    }

    func run(_ input: UnsafeBufferPointer<UInt8>) {
        switch self {
        case .procStat: fuzzProcStat(input)
        case .procCgroup: fuzzProcCgroup(input)
        case .cgroupFiles: fuzzCgroupFiles(input)
        case .criInfo: fuzzCRIInfo(input)
        case .kubeletPodList: fuzzPodList(input)
        case .webConfig: fuzzWebConfig(input)
        case .httpHeaders: fuzzHTTPHeaders(input)
        case .httpServer: LiveServer.shared.exchange(input)
        }
    }
}

private func fuzzProcStat(_ input: UnsafeBufferPointer<UInt8>) {
    // The buffer and the array entry points must agree.
    let fromBuffer = Result { () throws(KernelParseError) in try ProcStatParser.parse(input) }
    let fromArray = Result { () throws(KernelParseError) in try ProcStatParser.parse(Array(input)) }
    switch (fromBuffer, fromArray) {
    case (.success(let a), .success(let b)): invariant(a == b, "buffer and array parses differ: \(a) vs \(b)")
    case (.failure(let error), .failure): checkOneLine(error)
    default: invariant(false, "buffer and array parses disagree on success")
    }
}

private func fuzzProcCgroup(_ input: UnsafeBufferPointer<UInt8>) {
    do {
        let memberships = try ProcCgroupParser.parse(input)
        invariant(memberships == (try? ProcCgroupParser.parse(Array(input))), "buffer and array parses differ")
    } catch {
        checkOneLine(error)
    }
}

private func fuzzCgroupFiles(_ input: UnsafeBufferPointer<UInt8>) {
    for key in ["oom_kill", "populated", "btime", ""] { _ = FlatKeyedParser.value(forKey: key, in: input) }
    _ = CgroupEventsParser.populated(input)
    _ = MemoryEventsParser.oomKills(input)
    _ = MemoryOOMControlParser.oomKills(input)
    _ = BootTimeParser.bootTime(input)
    if let resolved = CgroupsPath.resolve(String(decoding: input, as: UTF8.self)) {
        invariant(!resolved.contains("\0"), "resolved cgroup path contains NUL")
    }
}

private func fuzzCRIInfo(_ input: UnsafeBufferPointer<UInt8>) {
    let json = String(decoding: input, as: UTF8.self)
    do {
        let info = try ContainerInfoParser.parse(json, containerID: "c0ffee", endpoint: "unix:///fuzz.sock")
        if let pid = info.pid { invariant(pid > 0, "non-positive PID \(pid) accepted") }
        invariant(info.sandboxID != "" && info.cgroupsPath != "", "empty strings must be nil")
    } catch {
        checkOneLine(error)
    }
    _ = try? ContainerInfoParser.parse(infoMap: ["info": json, "other": json], containerID: "c", endpoint: "e")
}

private func fuzzPodList(_ input: UnsafeBufferPointer<UInt8>) {
    do {
        _ = try PodListDecoder.decode(Array(input))
    } catch {
        checkOneLine(error)
    }
}

private func fuzzWebConfig(_ input: UnsafeBufferPointer<UInt8>) {
    let bytes = Array(input)
    do {
        let config = try WebConfigDecoder.decode(bytes, file: "/fuzz/web.yml")
        invariant(config == (try? WebConfigDecoder.decode(bytes, file: "/fuzz/web.yml")), "decoding is not deterministic")
        for user in config.basicAuthUsers { invariant(!user.name.contains(":"), "user name with ':' accepted") }
        for header in config.headers {
            invariant(WebConfigDecoder.configurableHeaders[header.name] != nil, "header \(header.name) accepted")
            invariant(!header.value.utf8.contains { $0 < 0x20 }, "control character in a header value accepted")
        }
        if let tls = config.tls { invariant(tls.minVersion <= tls.maxVersion, "min_version above max_version accepted") }
    } catch {
        checkOneLine(error)
        invariant(!"\(error)".contains("$2y$04$"), "a password hash leaked into an error")
    }
}

/// Fields separated by NUL bytes: Accept, Accept-Encoding, Authorization, listen address.
private func fuzzHTTPHeaders(_ input: UnsafeBufferPointer<UInt8>) {
    let fields = input.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    func field(_ index: Int) -> String? { index < fields.count ? fields[index] : nil }
    _ = ExpositionFormat.negotiate(accept: field(0))
    _ = Gzip.isAccepted(by: field(1))
    if let authorization = field(2) {
        var output = [UInt8](repeating: 0, count: BasicAuthHeader.maxDecodedLength)
        let value = Array(authorization.utf8)
        let decoded = value.withUnsafeBufferPointer { value in
            output.withUnsafeMutableBufferPointer { BasicAuthHeader.decode(value, into: $0) }
        }
        if let (length, colon) = decoded {
            invariant(colon < length && length <= BasicAuthHeader.maxDecodedLength, "decoded span out of range")
            invariant(output[colon] == UInt8(ascii: ":"), "separator is not a colon")
        }
    }
    if let address = field(3) {
        do {
            let parsed = try ListenAddress(parsing: address)
            invariant(parsed.description == address, "listen address description changed")
        } catch {
            checkOneLine(error)
        }
    }
}
