import Backprop
import BackpropKernels

/// W1: square sgemm through the active backend (and our own kernel when BLAS is active).
public enum MatMulBenchmark {
  /// GFLOP/s (2n³ / seconds) for n = 256, 512, 1024, 2048, per available backend.
  public static func run(runs: Int, sizes: [Int] = [256, 512, 1024, 2048]) throws -> [BenchmarkResult] {
    var results: [BenchmarkResult] = []
    let backends = GemmBackend.allCases.filter(\.isAvailable)
    for n in sizes {
      // One pair of inputs per size, shared by every backend.
      var rng = SeededGenerator(seed: UInt64(n))
      let a = [Float]((0..<(n * n)).map { _ in Float(rng.nextUniform()) - 0.5 })
      let b = [Float]((0..<(n * n)).map { _ in Float(rng.nextUniform()) - 0.5 })
      var c = [Float](repeating: 0, count: n * n)
      for backend in backends {
        // Pinned for this thread only; the process-wide choice is left as it was.
        let measured = Gemm.withSettings(backend: backend) {
          let seconds = Stopwatch.median(warmup: 1, runs: n >= 2048 ? Swift.max(3, runs / 2) : runs) {
            a.withUnsafeBufferPointer { ap in
              b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                  Gemm.sgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: ap.baseAddress!, lda: n,
                             b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
                }
              }
            }
          }
          return (seconds, ComputeSettings.current)
        }
        guard let (seconds, settings) = measured else { continue }
        results.append(BenchmarkResult(workload: "W1", case: "n=\(n)", settings: settings, metric: "gflops",
                                       value: 2 * Double(n * n * n) / seconds / 1e9, unit: "GFLOP/s", lowerIsBetter: false,
                                       extra: ["backend": backend.rawValue]))
      }
    }
    return results
  }
}
