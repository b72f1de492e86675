import CBackpropKernels

extension Communicator {
  /// Memory shared by every rank, when all ranks run on this host (MPI-3
  /// `MPI_Win_allocate_shared`): `bytes` per rank, returned as each rank's segment, in rank
  /// order, mapped in this process; `nil` when some rank is on another host. Collective: call
  /// on every rank alike. The memory lives until `finalize()`.
  /// - Throws: `CommunicatorError` when MPI reports an error.
  public func sharedSegments(bytes: Int) throws -> [UnsafeMutableRawPointer]? {
    var bases = [UnsafeMutableRawPointer?](repeating: nil, count: size)
    let code = bases.withUnsafeMutableBufferPointer { bp_mpi_shared_segments(bytes, $0.baseAddress, Int32(size)) }
    guard code == 0 else {
      if code < 0 { throw CommunicatorError(description: "MPI_Win_allocate_shared(\(bytes) bytes) failed with MPI error \(-code) on rank \(rank) of \(size)") }
      return nil
    }
    return bases.map { $0! }
  }
}

/// A 64-bit flag in memory shared between processes: acquire loads, release stores (what one
/// rank publishes before the store is visible to another after its load).
public enum SharedFlag {
  /// The flag's value, with acquire ordering.
  public static func load(_ flag: UnsafeMutablePointer<Int64>) -> Int64 {
    flag.withMemoryRebound(to: CLongLong.self, capacity: 1) { Int64(bp_atomic_load_acquire($0)) }
  }
  /// Sets the flag, with release ordering.
  public static func store(_ flag: UnsafeMutablePointer<Int64>, _ value: Int64) {
    flag.withMemoryRebound(to: CLongLong.self, capacity: 1) { bp_atomic_store_release($0, CLongLong(value)) }
  }
}

/// A wait that polls a condition: each `pause()` spins, yields or sleeps as `bp_mpi_wait` does
/// between its tests (`Communicator.waitMode`), and reports when `timeout` seconds have passed.
public struct PollingWait {
  private let start = bp_monotonic_seconds()
  private var polls: UInt = 0
  private var mode: Int32 = 0
  /// Seconds after which `pause()` returns false (a lost rank).
  public let timeout: Double

  /// Starts the clock now.
  public init(timeout: Double) { self.timeout = timeout }

  /// Pauses before the next poll; false once the timeout has passed.
  public mutating func pause() -> Bool {
    defer { polls += 1 }
    return bp_mpi_wait_pause(polls, &mode, start, timeout) == 0
  }
}
