import CBackpropKernels

/// What the kernels will run on, for logs, `backprop --version`-style reports and benchmarks.
public enum KernelInfo {
  /// The active GEMM backend in words, e.g. `"OpenBLAS"` or `"own (AVX-512)"`.
  public static var backendName: String { backendName(.current) }

  /// The GEMM backend of `settings` in words, e.g. `"OpenBLAS"` or `"own (AVX-512)"`.
  public static func backendName(_ settings: ComputeSettings) -> String {
    switch settings.gemmBackend {
    case .openBLAS: return "OpenBLAS"
    case .blis: return "BLIS"
    case .own:
      switch settings.kernelISA {
      case .avx512: return "own (AVX-512)"
      case .avx2: return "own (AVX2+FMA)"
      case .portable: return "own (portable C)"
      }
    }
  }

  /// The number of threads a large GEMM or elementwise loop may use (`ComputeSettings.current`).
  public static var threadCount: Int { ComputeSettings.current.threadCount }

  /// The CPU features the own kernels can use: `"avx512f avx2 fma"`, `"avx2 fma"`, or
  /// `"baseline"` without them.
  public static var cpuFeatures: String {
    switch KernelISA.best {
    case .avx512: return "avx512f avx2 fma"
    case .avx2: return "avx2 fma"
    case .portable: return "baseline"
    }
  }
}
