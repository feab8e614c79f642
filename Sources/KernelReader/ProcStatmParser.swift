/// `/proc/<pid>/statm`: seven page counts, the first the program's size. The kernel writes all zeros
/// for a task without memory: one that has exited (its memory is released before it is a zombie)
/// or a kernel thread, which no container runs.
public enum ProcStatmParser {
    /// Whether the size (the first field) is above zero; nil if it is not a number.
    public static func hasMemory(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        var index = bytes.startIndex
        var digits = 0
        var nonZero = false
        while index < bytes.endIndex, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            if bytes[index] != UInt8(ascii: "0") { nonZero = true }
            digits += 1
            index += 1
        }
        guard digits > 0, index == bytes.endIndex || bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\n") else {
            return nil
        }
        return nonZero
    }

    public static func hasMemory(_ bytes: [UInt8]) -> Bool? {
        bytes.withUnsafeBufferPointer { hasMemory($0) }
    }
}
