import Collector
import Exposition

enum TextWriterForTests {
    static func render(_ findings: Findings) throws -> String {
        try TextWriter.render(MetricsInventory.families(from: findings), format: .prometheusText)
    }
}
