import ArgumentParser

/// `crisync-bench`: the pieces of `make bench` (scripts/bench.sh runs them in order).
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crisync-bench",
        abstract: "crisync's benchmarks: real node, synthetic scale, serving. Run through scripts/bench.sh.",
        subcommands: [
            SyntheticCommand.self, RefreshCommand.self, PopulateCommand.self, ChurnCommand.self, KubeletCommand.self,
            SyntheticServeCommand.self, PodListSizeCommand.self, FirstScrapeCommand.self, ServeCommand.self, WatchCommand.self, ReportCommand.self,
        ])
}
