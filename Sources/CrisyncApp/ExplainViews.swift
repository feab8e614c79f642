import Collector
import Model

/// The side-by-side table of one container: what the kubelet, the runtime and the kernel each say.
enum ExplainViews {
    struct Cell {
        var label: String
        var value: String
        var tone: ExplainTone = .plain
    }

    static let indent = 2
    static let labelWidth = 10
    static let valueWidth = 20
    /// Label, a space, the value, a space before the next column: 3 columns + indent = 98 columns.
    static var columnWidth: Int { labelWidth + 1 + valueWidth + 1 }

    static func table(_ view: ContainerView, container: ExplainedContainer, report: ExplainReport, style: ExplainStyle) -> [String] {
        let up = Dictionary(uniqueKeysWithValues: report.sources.map { ($0.source, $0.up) })
        let columns = [
            ("KUBELET", kubelet(view, earlierAttempt: container.isEarlierAttempt, up: up[.kubelet] ?? false)),
            ("RUNTIME", runtime(view, up: up[.runtime] ?? false)),
            ("KERNEL", kernel(view, procfsUp: up[.procfs] ?? false, runtimeUp: up[.runtime] ?? false)),
        ]
        let rendered = columns.map { title, cells in
            [TerminalText.padded(style.apply(.bold, title), to: columnWidth)] + cells.flatMap { render($0, style: style) }
        }
        let height = rendered.map(\.count).max() ?? 0
        let empty = String(repeating: " ", count: columnWidth)
        var lines: [String] = []
        for row in 0..<height {
            let line = rendered.map { row < $0.count ? $0[row] : empty }.joined()
            lines.append(String(repeating: " ", count: indent) + trimmingTrailingSpaces(line))
        }
        return lines
    }

    /// One cell as lines of exactly `columnWidth` columns: the value wraps under itself.
    static func render(_ cell: Cell, style: ExplainStyle) -> [String] {
        let values = RichText(cell.value, cell.tone).wrapped(width: valueWidth, firstIndent: 0, hangingIndent: 0, style: style)
        return values.enumerated().map { index, value in
            let label = index == 0 ? style.apply(.dim, TerminalText.sanitized(cell.label)) : ""
            let labelPadding = String(repeating: " ", count: labelWidth + 1 - (index == 0 ? cell.label.count : 0))
            return TerminalText.padded(label + labelPadding + value, to: columnWidth)
        }
    }

    static func kubelet(_ view: ContainerView, earlierAttempt: Bool, up: Bool) -> [Cell] {
        guard let status = view.kubelet else {
            if !up { return [Cell(label: "state", value: "kubelet down", tone: .red)] }
            if earlierAttempt { return [Cell(label: "state", value: "earlier attempt, not in the pod's status", tone: .dim)] }
            return [Cell(label: "state", value: "not in the kubelet's pod status", tone: .yellow)]
        }
        var cells = [Cell(label: "state", value: ExplainFormat.kubeletState(status.state))]
        if case .running(let startedAt?) = status.state {
            cells.append(Cell(label: "started", value: ExplainFormat.timestamp(startedAt.timeIntervalSince1970)))
        }
        cells.append(Cell(label: "ready", value: status.ready ? "yes" : "no", tone: status.ready ? .plain : .yellow))
        cells.append(Cell(label: "restarts", value: "\(status.restartCount)"))
        cells.append(Cell(label: "id", value: status.runtimeContainerID.map(Remediation.shortID) ?? "-"))
        if status.isInit { cells.append(Cell(label: "init", value: "yes")) }
        return cells
    }

    static func runtime(_ view: ContainerView, up: Bool) -> [Cell] {
        guard let container = view.runtime else {
            return up
                ? [Cell(label: "state", value: "unknown to the runtime", tone: .red)]
                : [Cell(label: "state", value: "runtime down", tone: .red)]
        }
        var cells = [
            Cell(
                label: "state", value: ExplainFormat.runtimeState(container.state),
                tone: container.state == .running ? .plain : .yellow)
        ]
        guard let status = container.status else {
            cells.append(Cell(label: "status", value: "not fetched (ContainerStatus failed)", tone: .yellow))
            return cells
        }
        let exited = container.state == .exited
        cells.append(Cell(label: "exit code", value: exited ? ExplainFormat.exitCode(status.exitCode) : "-"))
        cells.append(Cell(label: "reason", value: status.reason.isEmpty ? "-" : status.reason, tone: status.reason == "OOMKilled" ? .yellow : .plain))
        cells.append(Cell(label: "pid", value: status.pid.flatMap { $0 > 0 ? "\($0)" : nil } ?? "-"))
        cells.append(Cell(label: "started", value: ExplainFormat.timestamp(nanos: status.startedAtNanos) ?? "-"))
        cells.append(Cell(label: "finished", value: ExplainFormat.timestamp(nanos: status.finishedAtNanos) ?? "-"))
        return cells
    }

    static func kernel(_ view: ContainerView, procfsUp: Bool, runtimeUp: Bool) -> [Cell] {
        guard procfsUp else { return [Cell(label: "process", value: "procfs down", tone: .red)] }
        // The kernel is asked about the PIDs the runtime names.
        guard runtimeUp else { return [Cell(label: "process", value: "no PID: runtime down", tone: .dim)] }
        guard let container = view.runtime else {
            return [Cell(label: "process", value: "no PID: unknown to the runtime", tone: .dim)]
        }
        guard container.state == .running else {
            return [Cell(label: "process", value: "none (not RUNNING)", tone: .dim)]
        }
        var cells: [Cell] = []
        if let process = view.process {
            cells.append(Cell(label: "process", value: "\(process.pid) \(process.command)"))
            cells.append(
                Cell(label: "state", value: ExplainFormat.processState(process.state), tone: processTone(process.state)))
            if case .foreign = view.ownership {
                cells.append(Cell(label: "owner", value: "another process (PID reused)", tone: .red))
            }
            if let parent = view.parent {
                let isShim = parent.command.hasPrefix("containerd-shim")
                // The label already says what a shim is; any other parent is named.
                cells.append(Cell(label: isShim ? "shim" : "parent", value: isShim ? "\(parent.pid)" : "\(parent.pid) \(parent.command)"))
                cells.append(
                    Cell(
                        label: isShim ? "shim state" : "par. state", value: ExplainFormat.processState(parent.state),
                        tone: processTone(parent.state)))
            } else {
                cells.append(Cell(label: "parent", value: "\(process.ppid) (not read)", tone: .dim))
            }
        } else if let pid = container.status?.pid, pid > 0 {
            let gone = view.divergences.contains(.processMissing)
            cells.append(Cell(label: "process", value: gone ? "\(pid) gone" : "\(pid) not read", tone: gone ? .red : .dim))
        } else {
            cells.append(Cell(label: "process", value: "no PID from the runtime", tone: .yellow))
        }
        if let cgroup = view.cgroup {
            let (text, tone): (String, ExplainTone) =
                !cgroup.exists ? ("missing", .red) : cgroup.populated.map { $0 ? ("populated", .plain) : ("empty", .red) } ?? ("unreadable", .dim)
            cells.append(Cell(label: "cgroup", value: text, tone: tone))
            cells.append(
                Cell(
                    label: "OOM kills", value: cgroup.oomKills.map { "\($0)" } ?? "unreadable",
                    tone: (cgroup.oomKills ?? 0) > 0 ? .yellow : .plain))
        } else {
            cells.append(Cell(label: "cgroup", value: "not read", tone: .dim))
        }
        return cells
    }

    static func processTone(_ state: ProcessState) -> ExplainTone {
        switch state {
        case .zombie, .dead: .red
        case .stopped, .tracingStop, .diskSleep: .yellow
        default: .plain
        }
    }

    private static func trimmingTrailingSpaces(_ line: String) -> String {
        var line = line
        while line.last == " " { line.removeLast() }
        return line
    }
}
