#if canImport(Glibc)
import Glibc
#endif

/// Allocation of large float64 buffers. On Linux, buffers of 4 MiB and more are advised to use
/// transparent huge pages (madvise MADV_HUGEPAGE) before their first touch: on this class of
/// machine a fresh 134 MB array otherwise costs ~0.1 s of 4 KiB page faults (measured in
/// `dlt-bench --mem`), more than a layer of the kernel recursion at N = 4096.
public enum LargeArrays {
    static let threshold = 1 << 19  // elements (4 MiB)

    /// An array of `count` values filled with `value`.
    public static func filled(_ count: Int, with value: Double) -> [Double] {
        guard count >= threshold else { return [Double](repeating: value, count: count) }
        return [Double](unsafeUninitializedCapacity: count) { buf, initialized in
            adviseHugePages(buf.baseAddress!, count: count)
            buf.initialize(repeating: value)
            initialized = count
        }
    }

    static func adviseHugePages(_ p: UnsafeMutablePointer<Double>, count: Int) {
        #if os(Linux)
        let page = 2 << 20
        let start = (Int(bitPattern: p) + page - 1) & ~(page - 1)
        let end = (Int(bitPattern: p + count)) & ~(page - 1)
        if end > start, let ptr = UnsafeMutableRawPointer(bitPattern: start) {
            _ = madvise(ptr, end - start, 14)  // MADV_HUGEPAGE
        }
        #endif
    }
}
