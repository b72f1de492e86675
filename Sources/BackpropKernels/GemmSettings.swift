import CBackpropKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which implementation runs `Gemm.sgemm` and `Gemm.dgemm`.
///
/// By default Backprop uses OpenBLAS if `libopenblas.so.0` can be loaded, then BLIS
/// (`libblis.so.4`), then its own kernels. The environment variable
/// `BACKPROP_BLAS=none|openblas|blis` forces a choice (`none` means `.own`); a forced library
/// that cannot be loaded falls back to `.own`.
public enum GemmBackend: String, CaseIterable, Sendable {
  /// Backprop's packed micro-kernels (AVX-512 or AVX2/FMA when available, portable C otherwise).
  case own
  /// OpenBLAS, loaded at run time from `libopenblas.so.0`.
  case openBLAS = "openblas"
  /// BLIS, loaded at run time from `libblis.so.4` / `libblis.so`.
  case blis

  /// The `bp_backend` number used by the C layer.
  var cValue: Int32 {
    switch self {
    case .own: return Int32(BP_BACKEND_OWN.rawValue)
    case .openBLAS: return Int32(BP_BACKEND_OPENBLAS.rawValue)
    case .blis: return Int32(BP_BACKEND_BLIS.rawValue)
    }
  }

  /// Whether this backend can run here (always true for `.own`; loads the library on first use).
  public var isAvailable: Bool { self == .own || bp_blas_available(cValue) != 0 }
}

// The parts of `ComputeSettings`, one at a time: `ComputeSettings.current` reads them all,
// `withComputeSettings(_:_:)` and `ComputeSettings.makeGlobal()` set them together. GEMM and
// `Parallel` read these same values, so there is one source of truth.
extension Gemm {
  /// The backend the next call will use (after `setBackend(_:)` or the automatic choice).
  public static var backend: GemmBackend {
    switch bp_backend_override() {
    case GemmBackend.own.cValue: return .own
    case GemmBackend.openBLAS.cValue: return .openBLAS
    case GemmBackend.blis.cValue: return .blis
    default: return automaticBackend
    }
  }

  /// Forces `backend` for all later calls, or restores the automatic choice when `nil`.
  ///
  /// - Returns: `false`, leaving the setting unchanged, when that backend's library is missing.
  @discardableResult
  public static func setBackend(_ backend: GemmBackend?) -> Bool {
    guard let backend else { bp_set_backend_override(-1); return true }
    guard backend.isAvailable else { return false }
    bp_set_backend_override(backend.cValue)
    return true
  }

  /// The number of threads a large GEMM may use (BLAS libraries are told the same number).
  ///
  /// Defaults to `BACKPROP_THREADS` when set to a positive integer, otherwise the number of
  /// online CPUs. Small products always run on the calling thread.
  public static var threadCount: Int {
    let forced = Int(bp_thread_count_override())
    return forced > 0 ? forced : automaticThreadCount
  }

  /// Sets the thread count for later calls (values below 1 count as 1), or restores the
  /// default when `nil`.
  public static func setThreadCount(_ threads: Int?) {
    bp_set_thread_count_override(threads.map { Int32(clamping: max(1, $0)) } ?? 0)
  }

  /// Runs `body` with these settings on the calling thread only (a `nil` argument keeps the
  /// current one), then restores the thread's previous settings: `withComputeSettings(_:_:)`
  /// with `ComputeSettings(threadCount:gemmBackend:kernelISA:)`, for callers that would rather
  /// skip than stop on settings this machine cannot run.
  /// - Returns: `nil` without running `body` when the backend or instruction set is unavailable.
  @discardableResult
  public static func withSettings<R>(
    backend: GemmBackend? = nil, threadCount: Int? = nil, kernelISA: KernelISA? = nil, _ body: () throws -> R
  ) rethrows -> R? {
    if let backend, !backend.isAvailable { return nil }
    if let kernelISA, !kernelISA.isSupported { return nil }
    return try withComputeSettings(ComputeSettings(threadCount: threadCount, gemmBackend: backend, kernelISA: kernelISA), body)
  }

  /// The instruction set the `.own` backend's micro-kernels use now.
  public static var kernelISA: KernelISA { KernelISA(cValue: bp_kernel_isa()) }

  /// Forces the `.own` backend's micro-kernels to `isa` (for tests and benchmarks), or restores
  /// the best one the CPU supports when `nil`.
  ///
  /// - Returns: `false`, leaving the setting unchanged, when the CPU cannot run `isa`.
  @discardableResult
  public static func setKernelISA(_ isa: KernelISA?) -> Bool {
    bp_set_kernel_isa(isa?.cValue ?? -1) != 0
  }
}

/// Instruction sets that Backprop's own GEMM micro-kernels are written for, chosen at run time.
public enum KernelISA: String, CaseIterable, Sendable {
  /// Plain C, vectorised by the compiler for the baseline ISA (6×16 float / 6×8 double tiles).
  case portable
  /// AVX2 + FMA intrinsics (6×16 float / 6×8 double tiles).
  case avx2
  /// AVX-512F intrinsics (12×32 float / 12×16 double tiles).
  case avx512

  /// The fastest instruction set this CPU supports.
  public static var best: KernelISA { KernelISA(cValue: bp_cpu_best_isa()) }

  /// Whether this CPU can run kernels written for this instruction set.
  public var isSupported: Bool { cValue <= bp_cpu_best_isa() }

  init(cValue: Int32) {
    switch cValue {
    case Int32(BP_ISA_AVX512.rawValue): self = .avx512
    case Int32(BP_ISA_AVX2.rawValue): self = .avx2
    default: self = .portable
    }
  }

  var cValue: Int32 {
    switch self {
    case .portable: return Int32(BP_ISA_PORTABLE.rawValue)
    case .avx2: return Int32(BP_ISA_AVX2.rawValue)
    case .avx512: return Int32(BP_ISA_AVX512.rawValue)
    }
  }
}

/// `BACKPROP_BLAS`, or OpenBLAS → BLIS → own; evaluated once, on first use.
private let automaticBackend: GemmBackend = {
  switch environment("BACKPROP_BLAS")?.lowercased() {
  case "none", "own": return .own
  case "openblas": return GemmBackend.openBLAS.isAvailable ? .openBLAS : .own
  case "blis": return GemmBackend.blis.isAvailable ? .blis : .own
  default: return [.openBLAS, .blis].first(where: \.isAvailable) ?? .own
  }
}()

/// `BACKPROP_THREADS` when it is a positive integer, otherwise the online CPU count.
private let automaticThreadCount: Int = {
  if let text = environment("BACKPROP_THREADS"), let threads = Int(text), threads > 0 {
    return min(threads, 1024)
  }
  return Int(bp_online_cpu_count())
}()

private func environment(_ name: String) -> String? {
  getenv(name).map { String(cString: $0) }
}
