import Backprop
import BackpropKernels

/// E1 (not one of the W1–W5): elementwise ops on one and on two threads, in one
/// invocation, to show which sizes `Parallel` splits across the cores and what it gains.
/// tanh and pow cost a libm call per element (split from 4,096 elements); relu and add cost
/// one instruction (split from 65,536).
public enum ElementwiseBenchmark {
  /// Median microseconds per call at 1 and 2 threads, and the speed-up, per op and size.
  public static func run(runs: Int, sizes: [Int] = [4_096, 32_768, 131_072, 1_048_576]) throws -> [BenchmarkResult] {
    var results: [BenchmarkResult] = []
    var rng = SeededGenerator(seed: 3)
    for n in sizes {
      let a = Tensor<Float>(shape: [n], scalars: (0..<n).map { _ in Float(rng.nextUniform()) + 0.5 })
      let b = Tensor<Float>(shape: [n], scalars: (0..<n).map { _ in Float(rng.nextUniform()) })
      let ops: [(String, () throws -> Void)] = [
        ("tanh", { _ = a.tanh() }), ("relu", { _ = a.relu() }),
        ("add", { _ = a + b }), ("pow", { _ = Tensor.pow(a, b) }),
      ]
      for (name, op) in ops {
        var measured: [(seconds: Double, settings: ComputeSettings)] = []
        for threads in [1, 2] {
          measured.append(try withComputeSettings(ComputeSettings(threadCount: threads)) {
            (try Stopwatch.median(warmup: 3, runs: Swift.max(runs, 5) * 4, op), ComputeSettings.current)
          })
        }
        let speedup = measured[0].seconds / measured[1].seconds
        for (k, m) in measured.enumerated() {
          results.append(BenchmarkResult(
            workload: "E1", case: "\(name) n=\(n)", settings: m.settings, metric: "microseconds", value: m.seconds * 1e6,
            unit: "µs", lowerIsBetter: true, extra: k == 1 ? ["speedup_vs_1_thread": String(format: "%.2f", speedup)] : [:]))
        }
      }
    }
    return results
  }
}
