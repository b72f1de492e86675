import ArgumentParser
import Backprop
import Foundation

/// `backprop linreg`: linear least squares by the normal equation and by gradient descent.
struct LinRegCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "linreg",
    abstract: "Solve linear regression in closed form (normal equation, Cholesky) and by gradient descent with autodiff.",
    discussion: """
      Default data: the shipped diabetes set (442 patients, 10 standardized features plus an intercept). \
      --features N --samples M uses a synthetic problem instead, to see where each method wins: the \
      closed form costs about m·n² + n³/3 flops once, gradient descent about 4·m·n per iteration (two \
      passes over X), and needs fewer iterations the better conditioned X is (m ≫ n). The closed form \
      wins on small n; gradient descent starts to win for large n with m ≫ n and a modest tolerance, \
      e.g. --features 3000 --samples 60000 --tolerance 1e-3.
      """)

  @Option(parsing: .unconditional, help: "Synthetic data: number of features n.") var features: Int?
  @Option(parsing: .unconditional, help: "Synthetic data: number of samples m.") var samples: Int?
  @Option(help: "Seed for synthetic data.") var seed: UInt64 = 0
  @Option(help: "Gradient-descent step size (default 1/λ_max of the Hessian, by power iteration).") var lr: Double?
  @Option(parsing: .unconditional, help: "Gradient descent stops after this many iterations...") var iterations: Int = 100_000
  @Option(help: "...or when the gradient norm falls below this.") var tolerance: Double = 1e-6
  @OptionGroup var threading: ThreadOptions
  @Flag(help: "Print one JSON object instead of text.") var json = false

  struct Solution: Encodable { var loss: Double; var seconds: Double; var weights: [Double]; var iterations: Int?; var learning_rate: Double? }
  struct Report: Encodable {
    var dataset: String; var samples: Int; var features: Int; var weight_names: [String]
    var closed_form: Solution; var gradient_descent: Solution; var max_abs_weight_diff: Double
  }

  func run() throws {
    guard (1...100_000_000).contains(iterations) else { throw CommandError("--iterations must be ≥ 1 and ≤ 100000000, got \(iterations)") }
    guard tolerance >= 0, tolerance.isFinite else { throw CommandError("--tolerance must be finite and ≥ 0, got \(tolerance)") }
    if let lr, !(lr > 0 && lr.isFinite) { throw CommandError("--lr must be positive and finite, got \(lr)") }
    try threading.apply()
    let (name, x, y, names) = try loadProblem()
    var start = monotonicSeconds()
    let closed = try LeastSquares.normalEquation(x: x, y: y)
    let closedSeconds = monotonicSeconds() - start
    start = monotonicSeconds()
    let gd = try LeastSquares.gradientDescent(x: x, y: y, learningRate: lr, maxIterations: iterations, tolerance: tolerance)
    let gdSeconds = monotonicSeconds() - start
    let report = Report(
      dataset: name, samples: x.shape[0], features: x.shape[1] - 1, weight_names: names,
      closed_form: Solution(loss: try LeastSquares.meanSquaredError(x: x, y: y, weights: closed), seconds: closedSeconds, weights: closed.scalars),
      gradient_descent: Solution(loss: try LeastSquares.meanSquaredError(x: x, y: y, weights: gd.weights), seconds: gdSeconds,
                                 weights: gd.weights.scalars, iterations: gd.iterations, learning_rate: gd.learningRate),
      max_abs_weight_diff: zip(closed.scalars, gd.weights.scalars).map { abs($0 - $1) }.max() ?? 0)
    if json { return try printJSON(report) }
    print("Linear least squares on \(name): \(report.samples) samples, \(report.features) features + intercept; loss = mean squared error\n")
    if names.count <= 24 {
      print("weight".padding(toLength: 12, withPad: " ", startingAt: 0) + "closed form".leftPadded(16) + "gradient descent".leftPadded(18))
      for (i, n) in names.enumerated() {
        print(n.padding(toLength: 12, withPad: " ", startingAt: 0) + fmt(closed.scalars[i], 8).leftPadded(16) + fmt(gd.weights.scalars[i], 8).leftPadded(18))
      }
      print("")
    }
    let c = report.closed_form, g = report.gradient_descent
    print("closed form (normal equation, Cholesky):  loss \(fmt(c.loss, 10))   \(milliseconds(c.seconds))")
    print("gradient descent (autodiff, η = \(fmt(g.learning_rate!, 4))):  loss \(fmt(g.loss, 10))   \(milliseconds(g.seconds))   \(g.iterations!) iterations")
    print("max |weight difference| = \(fmt(report.max_abs_weight_diff, 4)),  loss difference = \(fmt(g.loss - c.loss, 4))")
    let faster = c.seconds <= g.seconds ? "the closed form" : "gradient descent"
    print("\(faster.prefix(1).uppercased() + faster.dropFirst()) was faster here (\(String(format: "%.1f", max(c.seconds, g.seconds) / max(min(c.seconds, g.seconds), 1e-9)))×).")
  }

  /// The diabetes data (standardized, with an intercept column) or a synthetic problem.
  func loadProblem() throws -> (String, Tensor<Double>, Tensor<Double>, [String]) {
    let problem: LeastSquares.Problem
    if features != nil || samples != nil {
      let (n, m) = (features ?? 10, samples ?? 1000)
      // Bounded so that the m × (n + 1) design matrix stays allocatable (≤ 2²⁶ Doubles, 512 MiB).
      guard (1...10_000).contains(n), (1...10_000_000).contains(m), m * (n + 1) <= 1 << 26 else {
        throw CommandError("--features must be in 1…10000 and --samples in 1…10000000, with samples × (features + 1) ≤ \(groupedThousands(1 << 26)); got \(n) and \(m)")
      }
      problem = try LeastSquares.synthetic(features: n, samples: m, seed: seed)
    } else {
      problem = try LeastSquares.diabetes()
    }
    return (problem.name, problem.x, problem.y, problem.columnNames)
  }

  private func milliseconds(_ s: Double) -> String { String(format: "%.3f ms", s * 1000) }
}
