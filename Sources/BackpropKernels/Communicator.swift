import CBackpropKernels
#if canImport(Glibc)
import Glibc
#endif

/// Why an MPI operation could not be done, in one line.
public struct CommunicatorError: Error, CustomStringConvertible, Sendable {
  /// The message, naming the MPI call and its error code.
  public let description: String
  /// Whether the other ranks did not answer in time (a lost rank) rather than MPI reporting an error.
  public var timedOut = false
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

  /// How a wait for the other ranks uses the core (`bp_mpi_wait`): `spin` (test without pause:
  /// fastest while every rank has a core) or `sleep` (yield the core between tests: for more
  /// ranks plus other work than cores). `BACKPROP_MPI_WAIT=spin|sleep` forces one; otherwise it
  /// is chosen from this host's rank count, load (`/proc/loadavg`) and cores, re-checked each second,
  /// and reported as `auto:spin` or `auto:sleep` (the current choice).
  public static var waitMode: String {
    let mode = bp_mpi_wait_mode() == Int32(BP_MPI_WAIT_SPIN.rawValue) ? "spin" : "sleep"
    return bp_mpi_wait_is_automatic() != 0 ? "auto:" + mode : mode
  }

  /// The automatic rule: sleep when `localRanks` plus the other work in `load` (which counts
  /// the ranks themselves) need more than `cores` cores.
  static func waitsBySleeping(localRanks: Int, load: Double, cores: Int) -> Bool {
    bp_mpi_wait_oversubscribed(Int32(localRanks), load, Int32(cores)) != 0
  }

  /// The automatic rule's `load` from a `/proc/loadavg` line: the smaller of the 1-minute
  /// average and the tasks runnable now (`"2.45 2.1 2.0 2/345 999"` → 2). The average alone lags
  /// a minute behind the machine (a build that just ended); the snapshot alone sees every
  /// short-lived process.
  static func currentLoad(fromLoadavg line: String) -> Double { bp_mpi_current_load(line) }

  /// The values `BACKPROP_MPI_WAIT` may take (empty or unset: `auto`).
  public static let waitModeNames = ["spin", "sleep", "auto"]

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
    try start(buffer.baseAddress, count: buffer.count, type: BP_MPI_FLOAT, op: BP_MPI_SUM, what: "floats")
  }

  /// Starts reducing `buffer` (sum or maximum) over all ranks in place; `wait(_:timeout:)` finishes it.
  /// `buffer` must stay alive and untouched until then.
  public func startAllreduce(_ buffer: UnsafeMutableBufferPointer<Double>, maximum: Bool = false) throws -> PendingReduction {
    try start(buffer.baseAddress, count: buffer.count, type: BP_MPI_DOUBLE, op: maximum ? BP_MPI_MAX : BP_MPI_SUM, what: "doubles")
  }

  private func start(_ data: UnsafeMutableRawPointer?, count: Int, type: bp_mpi_type, op: bp_mpi_op, what: String) throws
    -> PendingReduction
  {
    var request: UnsafeMutableRawPointer? = nil
    let code = bp_mpi_iallreduce(data, Int32(count), Int32(type.rawValue), Int32(op.rawValue), &request)
    try check(code, "MPI_Iallreduce(\(count) \(what))")
    return PendingReduction(request: request, count: count, what: what)
  }

  /// Waits for `pending` at most `timeout` seconds; a rank that stopped answering makes this throw.
  public func wait(_ pending: inout PendingReduction, timeout: Double) throws {
    guard !pending.isComplete else { return }
    let code = bp_mpi_wait(&pending.request, timeout)
    if code == BP_MPI_TIMED_OUT {
      throw CommunicatorError(description: "rank \(rank) of \(size): MPI_Iallreduce(\(pending.count) \(pending.what)) got no answer from the other ranks within \(fmtSeconds(timeout)) s: a rank was lost", timedOut: true)
    }
    try check(code, "MPI_Wait(\(pending.count) \(pending.what))")
    pending.isComplete = true
  }

  /// Waits for `pending` (a copy: use the `inout` form to keep polling it) at most `timeout` seconds.
  public func wait(_ pending: PendingReduction, timeout: Double) throws {
    var copy = pending
    try wait(&copy, timeout: timeout)
  }

  /// Lets MPI progress `pending` without blocking (Open MPI moves non-blocking collectives
  /// forward only inside MPI calls); returns whether it has finished.
  @discardableResult
  public func test(_ pending: inout PendingReduction) throws -> Bool {
    guard !pending.isComplete else { return true }
    var done: Int32 = 0
    try check(bp_mpi_test(&pending.request, &done), "MPI_Test(\(pending.count) \(pending.what))")
    pending.isComplete = done != 0
    return pending.isComplete
  }

  /// Sums (or takes the maximum of) `values` over all ranks in place, giving up after `timeout`
  /// seconds without an answer (a lost rank) instead of waiting forever.
  public func allreduce(_ values: inout [Double], maximum: Bool = false, timeout: Double) throws {
    try values.withUnsafeMutableBufferPointer { buffer in
      var pending = try startAllreduce(buffer, maximum: maximum)
      try wait(&pending, timeout: timeout)
    }
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
  var request: UnsafeMutableRawPointer?
  let count: Int
  let what: String
  /// Whether the reduction has finished (its buffer holds the result).
  public internal(set) var isComplete = false
}

/// `20` or `0.5`: seconds without trailing zeros.
private func fmtSeconds(_ s: Double) -> String { s == s.rounded() ? String(Int(s)) : String(s) }
