/// The spellings Prometheus' own flag library (kingpin) accepts and ArgumentParser does not, rewritten
/// before parsing: `--kubelet.token-file=` (an empty value, as a Kubernetes `args:` list writes it)
/// and `--kubelet.insecure-skip-tls-verify=true` / `=false` on a boolean flag.
enum FlagSpelling {
    /// The exporter's boolean flags (`@Flag`), the only ones that take `=true` / `=false`.
    static let booleanFlags: Set<String> = ["--kubelet.insecure-skip-tls-verify", "--all"]

    static func normalized(_ arguments: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(arguments.count)
        for (index, argument) in arguments.enumerated() {
            // After `--` every argument is a value, whatever it looks like.
            if argument == "--" {
                result += arguments[index...]
                break
            }
            guard argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else {
                result.append(argument)
                continue
            }
            let name = String(argument[..<equals])
            let value = argument[argument.index(after: equals)...]
            if booleanFlags.contains(name) {
                switch value.lowercased() {
                case "true", "1": result.append(name)
                case "false", "0": break
                default: result.append(argument)  // ArgumentParser's own error names the flag
                }
            } else if value.isEmpty {
                result += [name, ""]
            } else {
                result.append(argument)
            }
        }
        return result
    }
}
