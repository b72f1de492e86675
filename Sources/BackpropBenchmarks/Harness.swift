import BackpropKernels
import Foundation

/// One measured figure, in the JSON Lines schema shared with the reference scripts in `bench/`.
///
/// The thread count, GEMM backend and instruction set are the `ComputeSettings` in force when
/// the figure was measured (`ComputeSettings.current` inside the timed scope), not a label
/// passed alongside.
public struct BenchmarkResult: Codable, Sendable {
  /// Always `backprop` (the reference scripts write `pytorch`, `jax`, `numpy`).
  public var framework = "backprop"
  /// W1 … W5 or E1.
  public var workload: String
  /// The case id, e.g. "n=1024", "mlp", "chain_1M"; rows join on (workload, case, threads, metric).
  public var `case`: String
  /// Kernel threads in force while measuring.
  public var threads: Int
  /// The GEMM backend in force while measuring.
  public var gemmBackend: String
  /// The own kernels' instruction set in force while measuring.
  public var kernelISA: String
  /// What `value` measures, e.g. `gflops`, `epoch_seconds`.
  public var metric: String
  /// The figure.
  public var value: Double
  /// Its unit.
  public var unit: String
  /// Whether smaller values are better.
  public var lowerIsBetter: Bool
  /// Extra context (accuracy, peak RSS, bytes per node…).
  public var extra: [String: String] = [:]

  enum CodingKeys: String, CodingKey {
    case framework, workload, `case`, threads, gemmBackend = "gemm_backend", kernelISA = "kernel_isa", metric, value, unit
    case lowerIsBetter = "lower_is_better", extra
  }

  /// A figure measured under `settings`.
  public init(workload: String, case: String, settings: ComputeSettings, metric: String, value: Double, unit: String,
              lowerIsBetter: Bool, extra: [String: String] = [:]) {
    self.workload = workload; self.case = `case`; self.metric = metric
    (threads, gemmBackend, kernelISA) = (settings.threadCount, settings.gemmBackend.rawValue, settings.kernelISA.rawValue)
    self.value = value; self.unit = unit; self.lowerIsBetter = lowerIsBetter; self.extra = extra
  }
}

/// Wall-clock timing with warm-up runs and the median of the measured runs (the machine's timings
/// vary from run to run; the median resists outliers).
public enum Stopwatch {
  /// Seconds on a monotonic clock.
  public static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

  /// Runs `body` `warmup` times untimed, then `runs` times; returns the median seconds.
  public static func median(warmup: Int = 1, runs: Int = 5, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmup { try body() }
    var times: [Double] = []
    for _ in 0..<max(runs, 1) {
      let start = now()
      try body()
      times.append(now() - start)
    }
    times.sort()
    return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
  }
}

/// The peak resident set size of this process so far, in MiB (VmHWM from /proc/self/status).
public func peakResidentMiB() -> Double {
  guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
  for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let digits = line.split(separator: " ").compactMap { Double($0) }
    if let kib = digits.first { return kib / 1024 }
  }
  return .nan
}
