/// Formats a sample value exactly as Prometheus' Go client does (expfmt's `writeFloat`, which is
/// `strconv.FormatFloat(v, 'g', -1, 64)` after checking for 0 first): the shortest digits that
/// round-trip, fixed notation for exponents -4..5, `1.5e+06` style beyond, integers without `.0`,
/// `NaN`, `+Inf`, `-Inf`, and plain `0` for negative zero too.
public func formatSampleValue(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
    // -0.0 == 0 as well: a gauge computed as e.g. `-(a - a)` must not print "-0".
    if value == 0 { return "0" }
    // Fast path: small integers are by far the most common values (counts, 0/1 gauges).
    if value == value.rounded(.towardZero), abs(value) < 1e6 { return String(Int64(value)) }

    let (digits, decimalPoint) = shortestDigits(abs(value))
    let exponent = decimalPoint - 1
    var out = value < 0 ? "-" : ""
    if exponent < -4 || exponent >= 6 {
        out.append(digits.first!)
        if digits.count > 1 {
            out.append(".")
            out.append(contentsOf: digits.dropFirst())
        }
        out.append(exponent < 0 ? "e-" : "e+")
        let magnitude = abs(exponent)
        if magnitude < 10 { out.append("0") }
        out.append(String(magnitude))
    } else if decimalPoint <= 0 {
        out.append("0.")
        out.append(String(repeating: "0", count: -decimalPoint))
        out.append(contentsOf: digits)
    } else if decimalPoint >= digits.count {
        out.append(contentsOf: digits)
        out.append(String(repeating: "0", count: decimalPoint - digits.count))
    } else {
        let split = digits.index(digits.startIndex, offsetBy: decimalPoint)
        out.append(contentsOf: digits[..<split])
        out.append(".")
        out.append(contentsOf: digits[split...])
    }
    return out
}

/// The shortest round-trip decimal digits of a positive finite value (no leading or trailing zeros)
/// and the position of the decimal point: value = 0.DIGITS × 10^decimalPoint.
/// Swift's `description` already produces the shortest round-trip digits; only its layout differs.
private func shortestDigits(_ value: Double) -> (digits: String, decimalPoint: Int) {
    let text = value.description
    var mantissa = Substring(text)
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = text[..<e]
        exponent = Int(text[text.index(after: e)...]) ?? 0
    }
    var integerPart = mantissa
    var fractionPart = Substring("")
    if let dot = mantissa.firstIndex(of: ".") {
        integerPart = mantissa[..<dot]
        fractionPart = mantissa[mantissa.index(after: dot)...]
    }
    var digits = String(integerPart) + fractionPart
    var decimalPoint = integerPart.count + exponent
    while digits.first == "0" {
        digits.removeFirst()
        decimalPoint -= 1
    }
    while digits.last == "0" { digits.removeLast() }
    return (digits, decimalPoint)
}
