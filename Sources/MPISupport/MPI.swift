import CMPI
import Foundation

/// MPI for `mpirun -np K dlt …` (only in the DEEPTHEORY_MPI=1 build): rank r of K takes shard r/K of the work, the
/// accumulators' flat state arrays are summed onto rank 0 with MPI_Reduce, and rank 0 alone writes the output.
/// `dlt` started without mpirun never initializes MPI.
public enum MPI {
    /// Whether this process was started by mpirun (Open MPI, or a PMI launcher).
    public static var isLaunched: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMI_SIZE"] != nil || env["PMIX_RANK"] != nil
    }

    nonisolated(unsafe) static var started = false

    /// MPI_Init once (only when launched by mpirun); returns (rank, size), or nil when not under mpirun.
    public static func start() -> (rank: Int, size: Int)? {
        guard isLaunched else { return nil }
        if !started {
            MPI_Init(nil, nil)
            started = true
            atexit { MPI_Finalize() }
        }
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(dt_comm_world(), &rank)
        MPI_Comm_size(dt_comm_world(), &size)
        return (Int(rank), Int(size))
    }

    /// Element-wise sum of `values` over all ranks, onto rank 0 (other ranks' arrays are left as they were).
    public static func sumOntoRoot(_ values: inout [Double]) {
        var out = [Double](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                _ = MPI_Reduce(v.baseAddress, o.baseAddress, Int32(v.count), dt_double(), dt_sum(), 0, dt_comm_world())
            }
        }
        var rank: Int32 = 0
        MPI_Comm_rank(dt_comm_world(), &rank)
        if rank == 0 { values = out }
    }

    /// Gather every rank's bytes onto rank 0 (in rank order); nil on the other ranks.
    public static func gatherOntoRoot(_ data: Data) -> [Data]? {
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(dt_comm_world(), &rank)
        MPI_Comm_size(dt_comm_world(), &size)
        var count = Int(data.count)
        var counts = [Int](repeating: 0, count: Int(size))
        withUnsafeMutablePointer(to: &count) { c in
            counts.withUnsafeMutableBufferPointer { all in
                _ = MPI_Gather(c, 1, dt_long(), all.baseAddress, 1, dt_long(), 0, dt_comm_world())
            }
        }
        let counts32 = counts.map { Int32($0) }
        var displacements = [Int32](repeating: 0, count: Int(size))
        for i in 1..<max(Int(size), 1) { displacements[i] = displacements[i - 1] + counts32[i - 1] }
        var buffer = [UInt8](repeating: 0, count: rank == 0 ? counts.reduce(0, +) : 0)
        let bytes = [UInt8](data)
        bytes.withUnsafeBufferPointer { b in
            buffer.withUnsafeMutableBufferPointer { out in
                counts32.withUnsafeBufferPointer { c in
                    displacements.withUnsafeBufferPointer { d in
                        _ = MPI_Gatherv(b.baseAddress, Int32(b.count), dt_byte(), out.baseAddress, c.baseAddress, d.baseAddress,
                                        dt_byte(), 0, dt_comm_world())
                    }
                }
            }
        }
        guard rank == 0 else { return nil }
        return (0..<Int(size)).map { Data(buffer[Int(displacements[$0])..<(Int(displacements[$0]) + counts[$0])]) }
    }

    /// Rank 0's bytes on every rank (MPI_Bcast of the length, then of the bytes).
    public static func broadcast(_ data: Data) -> Data {
        var count = data.count
        _ = MPI_Bcast(&count, 1, dt_long(), 0, dt_comm_world())
        var bytes = [UInt8](repeating: 0, count: count)
        var rank: Int32 = 0
        MPI_Comm_rank(dt_comm_world(), &rank)
        if rank == 0 { bytes = [UInt8](data) }
        bytes.withUnsafeMutableBufferPointer { b in _ = MPI_Bcast(b.baseAddress, Int32(count), dt_byte(), 0, dt_comm_world()) }
        return Data(bytes)
    }

    /// Whether `flag` is true on every rank (MPI_Allreduce with MIN); every rank gets the answer. It is also a barrier.
    public static func all(_ flag: Bool) -> Bool {
        var mine: Int = flag ? 1 : 0, result: Int = 0
        _ = MPI_Allreduce(&mine, &result, 1, dt_long(), dt_min(), dt_comm_world())
        return result == 1
    }
}
