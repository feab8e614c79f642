extension Array {
    /// Calls `body` with a pointer to each element where it lies in the array's storage. A `for`
    /// loop hands out copies, and so does a closure taking the element itself (through the generic
    /// reabstraction); copying a struct of strings retains each of them, and on a large node every
    /// retain of an object not touched for a while is a cache miss: they were most of what the
    /// collector cost at 20,000 containers. Read fields through `pointee`, pass `pointee` on.
    @inlinable
    public func forEachInPlace(_ body: (UnsafePointer<Element>) throws -> Void) rethrows {
        try withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for index in 0..<buffer.count { try body(base + index) }
        }
    }
}
