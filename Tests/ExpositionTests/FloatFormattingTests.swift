import Testing

@testable import Exposition

@Suite("Sample values print like Prometheus' Go client (strconv 'g', -1)")
struct FloatFormattingTests {
    // Expected strings are what the Go client's expfmt writeFloat prints: strconv.FormatFloat(v, 'g',
    // -1, 64), except that it tests f == 0 first, so negative zero prints "0" (FormatFloat says "-0").
    @Test(arguments: [
        (0.0, "0"), (-0.0, "0"), (1.0, "1"), (-1.0, "-1"), (0.5, "0.5"), (100.25, "100.25"), (123456.0, "123456"),
        (123456.7, "123456.7"), (999999.5, "999999.5"), (1e6, "1e+06"), (1234567.0, "1.234567e+06"),
        (0.0001, "0.0001"), (0.00001, "1e-05"), (1.5e-7, "1.5e-07"), (1e21, "1e+21"),
        (1732864642.12, "1.73286464212e+09"), (.leastNonzeroMagnitude, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (0.1 + 0.2, "0.30000000000000004"),
        (-2.5e-5, "-2.5e-05"), (42.0, "42"), (3.0e15, "3e+15"), (1e100, "1e+100"),
    ])
    func goCompatible(value: Double, expected: String) {
        #expect(formatSampleValue(value) == expected)
    }

    @Test func specialValues() {
        #expect(formatSampleValue(.nan) == "NaN")
        #expect(formatSampleValue(.infinity) == "+Inf")
        #expect(formatSampleValue(-.infinity) == "-Inf")
    }

    @Test(arguments: [0.1, 1.0 / 3.0, 1e-300, 123.456e10, 6.02214076e23, 4.9e-5, 7.0, 65536.0 * 65536.0])
    func roundTrips(value: Double) throws {
        let text = formatSampleValue(value)
        #expect(Double(text) == value, "\(text) does not parse back to \(value)")
    }
}
