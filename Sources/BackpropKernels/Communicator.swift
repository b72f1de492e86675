import CBackpropKernels
#if canImport(Glibc)
import Glibc
#endif

/// Why an MPI operation could not be done, in one line.
public struct CommunicatorError: Error, CustomStringConvertible, Sendable {
  /// The message, naming the MPI call and its error code.
  public let description: String
}

/// The processes of one `mpirun` job (MPI_COMM_WORLD), reached through Open MPI loaded at run time.
///
/// Nothing MPI-related is needed to build; `Communicator.isAvailable` says whether Open MPI 4
/// (libmpi.so.40) can be loaded, and `Communicator.unavailableReason` says why not.
public final class Communicator: @unchecked Sendable {
  /// Whether Open MPI can be loaded on this machine.
  public static var isAvailable: Bool { bp_mpi_available() != 0 }

  /// Why Open MPI cannot be used, in one line (empty when it can).
  public static var unavailableReason: String { String(cString: bp_mpi_problem()) }

  /// The Open MPI library version line, e.g. `"Open MPI v4.1.6, ..."`, or nil without MPI.
  public static var libraryVersion: String? {
    var buffer = [CChar](repeating: 0, count: 1024)
    let length = buffer.withUnsafeMutableBufferPointer { bp_mpi_library_version($0.baseAddress, 1024) }
    guard length >= 0 else { return nil }
    // Open MPI counts the terminating NUL in the length: read up to the first NUL instead.
    let text = String(decoding: buffer.prefix(Int(length)).prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text
  }

  /// Whether this process was started by `mpirun` (Open MPI sets `OMPI_COMM_WORLD_SIZE`).
  public static var launchedByMPIRun: Bool { getenv("OMPI_COMM_WORLD_SIZE") != nil }

  /// This process's rank, 0 ..< size.
  public let rank: Int
  /// The number of processes.
  public let size: Int

  /// Initialises MPI (once per process) and reads rank and size of MPI_COMM_WORLD.
  public init() throws {
    guard Communicator.isAvailable else {
      throw CommunicatorError(description: "MPI: \(Communicator.unavailableReason)")
    }
    var rank: Int32 = -1
    var size: Int32 = -1
    let code = bp_mpi_init(&rank, &size)
    guard code == 0 else { throw CommunicatorError(description: "MPI_Init_thread failed with MPI error \(code)") }
    self.rank = Int(rank)
    self.size = Int(size)
  }

  private func check(_ code: Int32, _ call: String) throws {
    guard code == 0 else {
      throw CommunicatorError(description: "\(call) failed with MPI error \(code) on rank \(rank) of \(size)")
    }
  }

  /// Sums `values` element-wise over all ranks, in place.
  public func allreduceSum(_ values: inout [Float]) throws {
    let code = values.withUnsafeMutableBufferPointer {
      bp_mpi_allreduce($0.baseAddress, Int32($0.count), Int32(BP_MPI_FLOAT.rawValue), Int32(BP_MPI_SUM.rawValue))
    }
    try check(code, "MPI_Allreduce(\(values.count) floats)")
  }

  /// Sums `values` element-wise over all ranks, in place.
  public func allreduceSum(_ values: inout [Double]) throws {
    let code = values.withUnsafeMutableBufferPointer {
      bp_mpi_allreduce($0.baseAddress, Int32($0.count), Int32(BP_MPI_DOUBLE.rawValue), Int32(BP_MPI_SUM.rawValue))
    }
    try check(code, "MPI_Allreduce(\(values.count) doubles)")
  }

  /// Starts summing `buffer` over all ranks in place (MPI_Iallreduce); `wait(_:timeout:)` finishes it.
  /// `buffer` must stay alive and untouched until then.
  public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> PendingReduction {
    var request: UnsafeMutableRawPointer? = nil
    let code = bp_mpi_iallreduce(buffer.baseAddress, Int32(buffer.count), Int32(BP_MPI_FLOAT.rawValue),
                                 Int32(BP_MPI_SUM.rawValue), &request)
    try check(code, "MPI_Iallreduce(\(buffer.count) floats)")
    return PendingReduction(request: request, count: buffer.count)
  }

  /// Waits for `pending` at most `timeout` seconds; a rank that stopped answering makes this throw.
  public func wait(_ pending: PendingReduction, timeout: Double) throws {
    var request = pending.request
    let code = bp_mpi_wait(&request, timeout)
    if code == BP_MPI_TIMED_OUT {
      throw CommunicatorError(description: "MPI_Iallreduce(\(pending.count) floats) on rank \(rank) of \(size): no answer from the other ranks within \(timeout) s (a rank was lost)")
    }
    try check(code, "MPI_Wait(\(pending.count) floats)")
  }

  /// Replaces `values` on every rank by rank `root`'s (the counts must agree on all ranks).
  public func broadcast(_ values: inout [Float], root: Int = 0) throws {
    let code = values.withUnsafeMutableBufferPointer {
      bp_mpi_broadcast($0.baseAddress, Int32($0.count), Int32(BP_MPI_FLOAT.rawValue), Int32(root))
    }
    try check(code, "MPI_Bcast(\(values.count) floats)")
  }

  /// Replaces `bytes` on every rank by rank `root`'s (the counts must agree on all ranks).
  public func broadcast(_ bytes: inout [UInt8], root: Int = 0) throws {
    let code = bytes.withUnsafeMutableBufferPointer {
      bp_mpi_broadcast($0.baseAddress, Int32($0.count), Int32(BP_MPI_BYTE.rawValue), Int32(root))
    }
    try check(code, "MPI_Bcast(\(bytes.count) bytes)")
  }

  /// Waits until every rank has called `barrier()`.
  public func barrier() throws { try check(bp_mpi_barrier(), "MPI_Barrier") }

  /// Ends every process of the job with exit status `code` (MPI_Abort).
  public func abort(code: Int32 = 1) -> Never {
    bp_mpi_abort(code)
    exit(code)
  }

  /// Ends MPI in this process (call once, before exit).
  public func finalize() { bp_mpi_finalize() }
}

/// An `MPI_Iallreduce` in flight, finished by `Communicator.wait(_:timeout:)`.
public struct PendingReduction: @unchecked Sendable {
  let request: UnsafeMutableRawPointer?
  let count: Int
}
