import ArgumentParser
import Backprop
import BackpropBenchmarks

/// `backprop bench`: the workloads of BENCHMARKS.md, printed as a table or as JSON Lines that
/// `bench/compare.sh` joins with the PyTorch, JAX and NumPy runs.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Run the benchmark workloads (W1 sgemm, W2 MLP training, W3 scalar graphs, W4 worked examples, W5 Jacobian/Hessian, W6 CNN training, W7 language-model steps and sampling; E1 elementwise ops on 1 vs 2 threads; D1 MPI allreduce latency and bandwidth under mpirun).")

  enum Workload: String, ExpressibleByArgument, CaseIterable { case W1, W2, W3, W4, W5, W6, W7, E1, D1, all }

  @Option(help: "Which workload to run: W1, W2, W3, W4, W5, W6 (a CNN epoch), W7 (language models), E1 (elementwise, 1 vs 2 threads), D1 (MPI allreduce, under mpirun -np N) or all (W1–W5).") var workload: Workload = .all
  @Option(help: "Threads for the kernels (1 or 2).") var threads: Int = 1
  @Option(help: "Measured runs per figure (the median is reported).") var runs: Int = 5
  @Option(help: "Epochs for W2 (default 3; the first is warm-up) or W6 (default 1, after two warm-up steps).") var epochs: Int?
  @Option(help: "W6 only: train on the first N Fashion-MNIST images (a quick run; default all 60,000).") var limit: Int?
  @Option(help: "Directory with Fashion-MNIST for W2 and W6 (default: Debian's /usr/share/datasets/fashion-mnist).") var dataDir: String?
  @Flag(help: "Print JSON Lines (one object per figure) instead of a table.") var json = false

  func validate() throws {
    guard (1...2).contains(threads) else { throw CommandError("--threads must be 1 or 2 (got \(threads))") }
    guard (1...1000).contains(runs) else { throw CommandError("--runs must be ≥ 1 and ≤ 1000, got \(runs)") }
    if let epochs, !(1...1000).contains(epochs) { throw CommandError("--epochs must be ≥ 1 and ≤ 1000, got \(epochs)") }
    if let limit, limit < 1 { throw CommandError("--limit must be ≥ 1, got \(limit)") }
  }

  func run() throws {
    let selected = workload == .all ? [.W1, .W2, .W3, .W4, .W5] : [workload]
    var printer = ResultPrinter(json: json)
    // Every row records the settings in force when it was measured (see BenchmarkResult).
    try withComputeSettings(ComputeSettings(threadCount: threads)) {
      for w in selected {
        for result in try BenchmarkSuite.run(w.rawValue, runs: runs, epochs: epochs ?? (w == .W6 ? 1 : 3),
                                                    dataDirectory: dataDir, limit: limit) {
          printer.emit(result)
        }
      }
    }
  }
}

/// Prints results as JSON Lines or as an aligned table, as they arrive.
struct ResultPrinter {
  let json: Bool
  var headerPrinted = false

  mutating func emit(_ r: BenchmarkResult) {
    if json {
      let extra = r.extra.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value)\"" }
      let extraText = extra.isEmpty ? "" : ", " + extra.joined(separator: ", ")
      print("{\"framework\": \"\(r.framework)\", \"workload\": \"\(r.workload)\", \"case\": \"\(r.case)\", \"threads\": \(r.threads), "
        + "\"gemm_backend\": \"\(r.gemmBackend)\", \"kernel_isa\": \"\(r.kernelISA)\", "
        + "\"metric\": \"\(r.metric)\", \"value\": \(r.value), \"unit\": \"\(r.unit)\", \"lower_is_better\": \(r.lowerIsBetter)\(extraText)}")
      return
    }
    if !headerPrinted {
      print(pad("workload", 9) + pad("case", 20) + pad("threads", 8) + pad("gemm", 10) + pad("metric", 22) + pad("value", 14) + "unit")
      headerPrinted = true
    }
    let extras = r.extra.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    print(pad(r.workload, 9) + pad(r.case, 20) + pad("\(r.threads)", 8) + pad(r.gemmBackend, 10) + pad(r.metric, 22) + pad(fmt(r.value, 5), 14) + r.unit + (extras.isEmpty ? "" : "  " + extras))
  }
}
