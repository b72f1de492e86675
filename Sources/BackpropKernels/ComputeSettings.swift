import CBackpropKernels

/// Where the kernels run: how many threads, which GEMM backend, which instruction set for the
/// own micro-kernels. One value, read by matrix products (`Gemm`) and by the elementwise and
/// optimizer loops (`Parallel`) alike.
///
/// Settings are scoped to a block on the calling thread, or set for the whole process:
///
/// ```swift
/// withComputeSettings(ComputeSettings(threadCount: 1)) {
///   try trainer.fit(on: data.train)   // every GEMM and parallel loop of this thread: 1 thread
/// }
/// ComputeSettings.current            // what is in force here and now (reported by `backprop info`)
/// ```
///
/// Defaults: `BACKPROP_THREADS` or the online CPU count; `BACKPROP_BLAS` or OpenBLAS → BLIS → own;
/// the best instruction set the CPU runs.
public struct ComputeSettings: Sendable, Equatable, CustomStringConvertible {
  /// Threads a large GEMM or elementwise loop may use (the caller's included); at least 1.
  public var threadCount: Int
  /// The implementation of `Gemm.sgemm` / `Gemm.dgemm`.
  public var gemmBackend: GemmBackend
  /// The instruction set of the own micro-kernels and the vectorised elementwise kernels.
  public var kernelISA: KernelISA

  /// Settings with the given values; each one left out is the one in force now (`current`).
  public init(threadCount: Int? = nil, gemmBackend: GemmBackend? = nil, kernelISA: KernelISA? = nil) {
    self.threadCount = max(1, threadCount ?? Gemm.threadCount)
    self.gemmBackend = gemmBackend ?? Gemm.backend
    self.kernelISA = kernelISA ?? Gemm.kernelISA
  }

  /// The settings in force on the calling thread: its scoped settings, else the process-wide ones.
  public static var current: ComputeSettings { ComputeSettings() }

  /// Whether this machine can run these settings (the backend's library loads, the CPU has the
  /// instruction set).
  public var isAvailable: Bool { gemmBackend.isAvailable && kernelISA.isSupported }

  /// Makes these the process-wide settings (what threads without scoped settings use).
  /// - Precondition: `isAvailable`.
  public func makeGlobal() {
    precondition(isAvailable, "ComputeSettings: \(self) cannot run on this machine")
    bp_set_thread_count_override(Int32(clamping: threadCount))
    bp_set_backend_override(gemmBackend.cValue)
    _ = bp_set_kernel_isa(kernelISA.cValue)
  }

  /// Restores the process-wide defaults (environment variables and detection).
  public static func resetGlobal() {
    bp_set_thread_count_override(0)
    bp_set_backend_override(-1)
    _ = bp_set_kernel_isa(-1)
  }

  /// `threads 2, GEMM openblas, ISA avx512`.
  public var description: String {
    "threads \(threadCount), GEMM \(gemmBackend.rawValue), ISA \(kernelISA.rawValue)"
  }
}

/// Runs `body` with `settings` in force on the calling thread (GEMMs, elementwise and optimizer
/// loops started from it), then restores the thread's previous settings; other threads are not
/// affected. Blocks nest: the innermost wins.
/// - Precondition: `settings.isAvailable`.
public func withComputeSettings<R>(_ settings: ComputeSettings, _ body: () throws -> R) rethrows -> R {
  precondition(settings.isAvailable, "withComputeSettings: \(settings) cannot run on this machine")
  var saved: (Int32, Int32, Int32) = (-2, -2, -2)
  bp_get_local_overrides(&saved.0, &saved.1, &saved.2)
  bp_set_local_overrides(settings.gemmBackend.cValue, Int32(clamping: settings.threadCount), settings.kernelISA.cValue)
  defer { bp_set_local_overrides(saved.0, saved.1, saved.2) }
  return try body()
}
