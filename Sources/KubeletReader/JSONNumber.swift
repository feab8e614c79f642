/// A JSON number as written, already checked against the grammar by ``JSONScanner``.
struct JSONNumber: CustomStringConvertible {
    let text: UnsafeBufferPointer<UInt8>
    /// No fraction and no exponent.
    let isInteger: Bool

    /// As written, shortened for a message.
    var description: String {
        let shown = String(decoding: text.prefix(40), as: UTF8.self)
        return text.count > 40 ? shown + "…" : shown
    }

    /// The value as a `T`, or nil when it is not an integer in `T`'s range.
    ///
    /// Converted as Foundation's `JSONDecoder` converts, quirks included, so the old and the new
    /// decoder accept the same bodies: an integer written without fraction or exponent is exact;
    /// anything else goes through `Double` (so `1.0000000000000000001` is 1 and `1e-400` is 0), and
    /// from 2^53 on, where a Double no longer tells neighbouring integers apart, through the
    /// decimal digits with the fraction cut off.
    func exactly<T: FixedWidthInteger & SignedInteger>(_: T.Type) -> T? {
        if isInteger { return integerAsWritten() }
        guard let double = Double(String(decoding: text, as: UTF8.self)), T(exactly: double) != nil else { return nil }
        if double.magnitude < 0x1p53 { return T(exactly: double) }
        return truncatedDecimal()
    }

    private var isNegative: Bool { text[0] == .minus }

    private func integerAsWritten<T: FixedWidthInteger & SignedInteger>() -> T? {
        var magnitude: UInt64 = 0
        for byte in text where byte != .minus {
            guard let next = Self.appending(byte - .digitZero, to: magnitude) else { return nil }
            magnitude = next
        }
        return Self.signed(magnitude, negative: isNegative, allowingMinimum: true)
    }

    /// The integer part of the decimal value, written out digit by digit.
    private func truncatedDecimal<T: FixedWidthInteger & SignedInteger>() -> T? {
        var digits: [UInt8] = []
        var integerDigits = 0
        var index = isNegative ? 1 : 0
        var inFraction = false
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: ".") {
                inFraction = true
            } else if byte | 0x20 == UInt8(ascii: "e") {
                break
            } else {
                digits.append(byte - .digitZero)
                if !inFraction { integerDigits += 1 }
            }
            index += 1
        }
        if index < text.count {
            // The exponent moves the decimal point; it is small here (the value is below 2^63),
            // unless zeros make up for it, so saturating keeps the arithmetic safe.
            index += 1
            var exponent = 0
            let negative = text[index] == .minus
            if text[index] == .minus || text[index] == .plus { index += 1 }
            while index < text.count {
                exponent = min(exponent * 10 + Int(text[index] - .digitZero), 1 << 40)
                index += 1
            }
            integerDigits += negative ? -exponent : exponent
        }
        var magnitude: UInt64 = 0
        var position = 0
        while position < integerDigits {
            guard let next = Self.appending(position < digits.count ? digits[position] : 0, to: magnitude) else { return nil }
            magnitude = next
            position += 1
        }
        // Foundation negates after converting the magnitude, so T.min itself is refused on this path.
        return Self.signed(magnitude, negative: isNegative, allowingMinimum: false)
    }

    private static func appending(_ digit: UInt8, to magnitude: UInt64) -> UInt64? {
        let (times10, overflow) = magnitude.multipliedReportingOverflow(by: 10)
        let (sum, carry) = times10.addingReportingOverflow(UInt64(digit))
        return overflow || carry ? nil : sum
    }

    private static func signed<T: FixedWidthInteger & SignedInteger>(_ magnitude: UInt64, negative: Bool, allowingMinimum: Bool) -> T? {
        if negative, allowingMinimum, magnitude == UInt64(T.max) + 1 { return T.min }
        guard let value = T(exactly: magnitude) else { return nil }
        return negative ? -value : value
    }
}
