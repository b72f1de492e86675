import Foundation
import Backprop
import BackpropKernels

/// Runs the named workload and returns its figures (the `bench` command prints them).
public enum BenchmarkSuite {
  /// Each result records the compute settings in force when it was measured: the caller's
  /// (`withComputeSettings`), or those a workload pins itself (W1 per backend, E1 per thread count).
  /// - Parameters:
  ///   - workload: "W1" … "W6", "W7" (language-model steps and sampling; not in `all`), "E1"
  ///     (elementwise ops on 1 vs 2 threads), or "D1" (MPI allreduce, under `mpirun`).
  ///   - limit: W6 only: train on the first `limit` images instead of all 60,000 (a quick run).
  public static func run(_ workload: String, runs: Int, epochs: Int, dataDirectory: String?, limit: Int? = nil) throws -> [BenchmarkResult] {
    let settings = ComputeSettings.current
    switch workload {
    case "W1":
      return try MatMulBenchmark.run(runs: runs)
    case "W2":
      var results = try MLPTrainingBenchmark.run(epochs: epochs, dataDirectory: dataDirectory)
      // The floor under the epoch time: the same epoch's matrix products alone, per backend.
      let flops = MLPGemmFloor.flopsPerEpoch()
      for backend in GemmBackend.allCases where backend.isAvailable {
        guard let (seconds, floorSettings) = MLPGemmFloor.seconds(backend: backend, runs: runs) else { continue }
        results.append(BenchmarkResult(workload: "W2", case: "mlp_matmuls_only", settings: floorSettings, metric: "epoch_seconds",
                                       value: seconds, unit: "s", lowerIsBetter: true,
                                       extra: ["backend": backend.rawValue, "gflops": String(format: "%.1f", flops / seconds / 1e9)]))
      }
      return results
    case "W3":
      let mlp = try ScalarGraphBenchmark.microgradMLP(runs: runs)
      let chain = try ScalarGraphBenchmark.chain(runs: Swift.min(runs, 3))
      let valueMLP = try ScalarGraphBenchmark.microgradMLPOnValues(runs: runs)
      let valueChain = try ScalarGraphBenchmark.chainOnValues(runs: Swift.min(runs, 3))
      return [
        BenchmarkResult(workload: "W3", case: "micrograd_mlp", settings: settings, metric: "step_seconds", value: valueMLP.seconds,
                        unit: "s", lowerIsBetter: true,
                        extra: ["variant": "value", "nodes": "\(valueMLP.nodes)", "loss_after": String(format: "%.6f", valueMLP.loss),
                                "accuracy": String(format: "%.2f", valueMLP.accuracy)]),
        BenchmarkResult(workload: "W3", case: "chain_1M", settings: settings, metric: "seconds", value: valueChain.seconds,
                        unit: "s", lowerIsBetter: true,
                        extra: ["variant": "value", "bytes_per_node": "\(valueChain.bytesPerNode)",
                                "gradient": "\(valueChain.gradient)"]),
        BenchmarkResult(workload: "W3", case: "micrograd_mlp", settings: settings, metric: "step_seconds", value: mlp.seconds,
                        unit: "s", lowerIsBetter: true, extra: ["variant": "tensor", "nodes": "\(mlp.nodes)"]),
        BenchmarkResult(workload: "W3", case: "chain_1M", settings: settings, metric: "seconds", value: chain.seconds,
                        unit: "s", lowerIsBetter: true,
                        extra: ["variant": "tensor", "bytes_per_node": String(Int(chain.bytesPerNode.rounded())), "gradient": "\(chain.gradient)"]),
      ]
    case "W4":
      return [
        BenchmarkResult(workload: "W4", case: "chain_rule", settings: settings, metric: "microseconds",
                        value: WorkedExamplesBenchmark.chainRuleOnValuesMicroseconds(), unit: "µs", lowerIsBetter: true,
                        extra: ["variant": "value"]),
        BenchmarkResult(workload: "W4", case: "chain_rule", settings: settings, metric: "microseconds",
                        value: try WorkedExamplesBenchmark.chainRuleMicroseconds(), unit: "µs", lowerIsBetter: true,
                        extra: ["variant": "tensor"]),
        BenchmarkResult(workload: "W4", case: "vector_chain_rule", settings: settings, metric: "microseconds",
                        value: try WorkedExamplesBenchmark.vectorChainRuleMicroseconds(), unit: "µs", lowerIsBetter: true),
      ]
    case "W5":
      return [
        BenchmarkResult(workload: "W5", case: "jacobian", settings: settings, metric: "milliseconds",
                        value: try JacobianBenchmark.jacobianMilliseconds(runs: runs), unit: "ms", lowerIsBetter: true),
        BenchmarkResult(workload: "W5", case: "hessian", settings: settings, metric: "milliseconds",
                        value: try JacobianBenchmark.hessianMilliseconds(runs: runs), unit: "ms", lowerIsBetter: true),
      ]
    case "W6":
      return try CNNTrainingBenchmark.run(epochs: epochs, limit: limit, runs: runs, dataDirectory: dataDirectory)
    case "W7":
      return try LanguageModelBenchmark.run(runs: runs)
    case "E1":
      return try ElementwiseBenchmark.run(runs: runs)
    case "D1":
      return try AllreduceBenchmark.run(runs: runs)
    default:
      throw TensorError.invalidArgument(op: "bench", message: "unknown workload \(workload); use W1…W7, E1 or D1")
    }
  }
}
