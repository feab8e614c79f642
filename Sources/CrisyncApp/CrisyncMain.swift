import ArgumentParser
import Foundation

/// Entry point. Parse errors exit 2 with one line naming the flag (as Prometheus' own tools do),
/// rather than ArgumentParser's usage dump and exit 64.
public enum CrisyncMain {
    public static func main(arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Never {
        let command: any ParsableCommand
        do {
            command = try ExporterCommand.parseAsRoot(FlagSpelling.normalized(arguments))
        } catch {
            let code = ExporterCommand.exitCode(for: error)
            if code == .success {
                // --help, --version
                print(ExporterCommand.fullMessage(for: error))
                exit(0)
            }
            fail(ExporterCommand.message(for: error))
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
            exit(0)
        } catch let error as CommandLineError {
            fail(error.description)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch where ExporterCommand.exitCode(for: error) == .success {
            // ArgumentParser's help command reports --help through run().
            print(ExporterCommand.fullMessage(for: error))
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("crisync-exporter: \(error)\n".utf8))
            exit(1)
        }
    }

    private static func fail(_ message: String) -> Never {
        let line = message.split(separator: "\n").first.map(String.init) ?? message
        FileHandle.standardError.write(Data("crisync-exporter: error: \(line)\n".utf8))
        exit(2)
    }
}
