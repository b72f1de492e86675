import Backprop
import BackpropKernels
import Foundation

/// D1: `MPI_Allreduce` (sum of floats) between the ranks of `mpirun`, from 4 bytes to 16 MiB:
/// the latency α and bandwidth B that BENCHMARKS.md projects data-parallel scaling from
/// (a ring allreduce of n bytes on p ranks takes about 2(p−1)·α + 2(p−1)/p · n/B).
///
/// Run as `mpirun -np 2 backprop bench --workload D1`; only rank 0 returns rows.
public enum AllreduceBenchmark {
  /// Median seconds per allreduce for each message size, on rank 0 (empty on the other ranks).
  /// - Throws: `CommunicatorError` without Open MPI or when a collective fails.
  public static func run(runs: Int) throws -> [BenchmarkResult] {
    let world = try Communicator()
    defer { world.finalize() }
    let settings = ComputeSettings.current
    var results: [BenchmarkResult] = []
    var bytes = 4
    while bytes <= 16 << 20 {
      var values = [Float](repeating: 1, count: bytes / 4)
      // More repeats for small messages (microseconds each), at least `runs` medians' worth.
      let repeats = Swift.max(runs, Swift.min(1000, (4 << 20) / bytes))
      for _ in 0..<3 { try world.allreduceSum(&values) }  // warm-up (connections, buffers)
      var times: [Double] = []
      for _ in 0..<repeats {
        try world.barrier()
        let start = monotonicSeconds()
        try world.allreduceSum(&values)
        times.append(monotonicSeconds() - start)
      }
      // Every rank's times are its own; the slowest rank's median is what a step waits for.
      var median = [times.sorted()[times.count / 2]]
      try world.allreduce(&median, maximum: true, timeout: 60)
      if world.rank == 0 {
        results.append(BenchmarkResult(
          workload: "D1", case: "allreduce_\(bytes)B", settings: settings, metric: "microseconds", value: median[0] * 1e6,
          unit: "µs", lowerIsBetter: true,
          extra: ["ranks": "\(world.size)", "bytes": "\(bytes)", "gb_per_s": String(format: "%.3f", Double(bytes) / median[0] / 1e9)]))
      }
      bytes *= 4
    }
    return results
  }
}
