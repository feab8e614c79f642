import Testing

@testable import Exposition

@Suite("Text writer: exact output")
struct TextWriterTests {
    private let families = [
        MetricFamily(
            name: "zeta_events_total", help: "Events seen.", type: .counter,
            samples: [Sample(["kind": "b"], 2), Sample(["kind": "a"], 1)]),
        MetricFamily(
            name: "alpha_temperature_celsius", help: "Help with a \\ backslash\nand newline and \"quotes\".",
            type: .gauge,
            samples: [Sample(["room": "x\"y\\z\nw", "floor": "1"], 21.5), Sample(["room": "hall", "floor": "0"], -3)]),
        MetricFamily(name: "middle_up", help: "No labels.", type: .gauge, samples: [Sample(value: 1)]),
        MetricFamily(name: "empty_family", help: "A family without samples.", type: .gauge),
    ]

    @Test func prometheusTextGolden() throws {
        let text = try TextWriter.render(families, format: .prometheusText)
        #expect(
            text == """
                # HELP alpha_temperature_celsius Help with a \\\\ backslash\\nand newline and "quotes".
                # TYPE alpha_temperature_celsius gauge
                alpha_temperature_celsius{room="hall",floor="0"} -3
                alpha_temperature_celsius{room="x\\"y\\\\z\\nw",floor="1"} 21.5
                # HELP empty_family A family without samples.
                # TYPE empty_family gauge
                # HELP middle_up No labels.
                # TYPE middle_up gauge
                middle_up 1
                # HELP zeta_events_total Events seen.
                # TYPE zeta_events_total counter
                zeta_events_total{kind="a"} 1
                zeta_events_total{kind="b"} 2

                """)
    }

    @Test func openMetricsGolden() throws {
        let text = try TextWriter.render(families, format: .openMetrics)
        #expect(
            text == """
                # HELP alpha_temperature_celsius Help with a \\\\ backslash\\nand newline and \\"quotes\\".
                # TYPE alpha_temperature_celsius gauge
                alpha_temperature_celsius{room="hall",floor="0"} -3
                alpha_temperature_celsius{room="x\\"y\\\\z\\nw",floor="1"} 21.5
                # HELP empty_family A family without samples.
                # TYPE empty_family gauge
                # HELP middle_up No labels.
                # TYPE middle_up gauge
                middle_up 1
                # HELP zeta_events Events seen.
                # TYPE zeta_events counter
                zeta_events_total{kind="a"} 1
                zeta_events_total{kind="b"} 2
                # EOF

                """)
    }

    @Test func outputDoesNotDependOnInputOrder() throws {
        let forward = try TextWriter.render(families, format: .prometheusText)
        let backward = try TextWriter.render(
            families.reversed().map { family in
                var family = family
                family.samples.reverse()
                return family
            }, format: .prometheusText)
        #expect(forward == backward)
    }

    @Test func emptyInputGivesEmptyTextAndBareEOF() throws {
        #expect(try TextWriter.render([], format: .prometheusText) == "")
        #expect(try TextWriter.render([], format: .openMetrics) == "# EOF\n")
    }

    @Test(arguments: [
        (MetricFamily(name: "1bad", help: "", type: .gauge), ExpositionError.invalidMetricName("1bad")),
        (MetricFamily(name: "has-dash", help: "", type: .gauge), .invalidMetricName("has-dash")),
        (MetricFamily(name: "", help: "", type: .gauge), .invalidMetricName("")),
        (MetricFamily(name: "events", help: "", type: .counter), .counterWithoutTotalSuffix("events")),
        (
            MetricFamily(name: "ok", help: "", type: .gauge, samples: [Sample(["__reserved": "x"], 1)]),
            .invalidLabelName(metric: "ok", label: "__reserved")
        ),
        (
            MetricFamily(name: "ok", help: "", type: .gauge, samples: [Sample(["a.b": "x"], 1)]),
            .invalidLabelName(metric: "ok", label: "a.b")
        ),
        (
            MetricFamily(name: "ok", help: "", type: .gauge, samples: [Sample(labels: [Label("a", "1"), Label("a", "2")], value: 1)]),
            .duplicateLabelName(metric: "ok", label: "a")
        ),
    ])
    func invalidFamiliesAreRefused(family: MetricFamily, expected: ExpositionError) {
        #expect(throws: expected) { try TextWriter.render([family], format: .prometheusText) }
    }

    @Test func duplicateFamiliesAreRefused() {
        let family = MetricFamily(name: "twice", help: "", type: .gauge)
        #expect(throws: ExpositionError.duplicateFamily("twice")) {
            try TextWriter.render([family, family], format: .prometheusText)
        }
    }

    @Test(arguments: [
        ("abc", true), ("a_b:c", true), (":colon", true), ("_x9", true), ("9x", false), ("a b", false), ("é", false),
    ])
    func metricNames(name: String, valid: Bool) {
        #expect(isValidMetricName(name) == valid)
    }

    @Test(arguments: [("pod", true), ("_p", true), ("__name__", false), ("a:b", false), ("x1", true), ("1x", false)])
    func labelNames(name: String, valid: Bool) {
        #expect(isValidLabelName(name) == valid)
    }

    @Test func unicodeLabelValuesPassThrough() throws {
        let family = MetricFamily(name: "u", help: "ü", type: .gauge, samples: [Sample(["pod": "café-☕"], 1)])
        #expect(try TextWriter.render([family], format: .prometheusText).contains("u{pod=\"café-☕\"} 1\n"))
    }
}

@Suite("Accept header negotiation")
struct NegotiationTests {
    @Test(arguments: [
        (nil, ExpositionFormat.prometheusText),
        ("", .prometheusText),
        ("text/plain", .prometheusText),
        ("*/*", .prometheusText),
        ("application/openmetrics-text", .openMetrics),
        ("application/openmetrics-text; version=1.0.0", .openMetrics),
        ("application/openmetrics-text; version=0.0.1", .prometheusText),
        // What Prometheus 2.x sends by default:
        (
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
            .openMetrics
        ),
        ("text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5", .prometheusText),
        ("application/openmetrics-text;q=0", .prometheusText),
        ("application/json", .prometheusText),
    ] as [(String?, ExpositionFormat)])
    func negotiate(accept: String?, expected: ExpositionFormat) {
        #expect(ExpositionFormat.negotiate(accept: accept) == expected)
    }
}
