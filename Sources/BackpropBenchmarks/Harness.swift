import Foundation

/// One measured figure, in the JSON Lines schema shared with the reference scripts in `bench/`.
public struct BenchmarkResult: Codable, Sendable {
  public var framework = "backprop"
  public var workload: String
  /// The case id, e.g. "n=1024", "mlp", "chain_1M"; rows join on (workload, case, threads, metric).
  public var `case`: String
  public var threads: Int
  public var metric: String
  public var value: Double
  public var unit: String
  public var lower_is_better: Bool
  /// Extra context (backend, accuracy, peak RSS, bytes per node…).
  public var extra: [String: String] = [:]

  public init(workload: String, case: String, threads: Int, metric: String, value: Double, unit: String,
              lowerIsBetter: Bool, extra: [String: String] = [:]) {
    self.workload = workload; self.case = `case`; self.threads = threads; self.metric = metric
    self.value = value; self.unit = unit; self.lower_is_better = lowerIsBetter; self.extra = extra
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
