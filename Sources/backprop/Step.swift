import ArgumentParser
import Backprop
import Foundation

/// `backprop step`: one visible step of backpropagation on a tiny network.
struct StepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "step",
    abstract: "Show one backpropagation step: forward pass, error, gradients (output layer first), updated weights, lower error.",
    discussion: """
      Each layer is Linear followed by a sigmoid; the error is E = ½ Σ (target − output)²; the update is \
      W ← W − η·∂E/∂W. Default input (0.05, 0.10, …) and target (0.01, 0.99, …), as in the classic example.
      """)

  @Option(help: "Layer sizes from input to output.") var layers: String = "2,3,2"
  @Option(help: "Seed for the initial weights.") var seed: UInt64 = 1
  @Option(help: "Learning rate η.") var lr: Double = 0.5
  @Option(help: "Input values (comma-separated; default 0.05, 0.10, …).") var input: String?
  @Option(help: "Target values (comma-separated; default 0.01, 0.99, …).") var target: String?
  @Flag(help: "Print one JSON object instead of text.") var json = false

  func run() throws {
    let report = try OneStepReport.run(
      sizes: try parseSizes(layers), seed: seed, learningRate: lr,
      input: try input.map { try parseNumbers($0, option: "--input") }, target: try target.map { try parseNumbers($0, option: "--target") })
    if json { return try printJSON(report) }
    let r = report
    print("Network \(r.sizes.map(String.init).joined(separator: "-")) (Linear + sigmoid per layer), seed \(r.seed), η = \(r.learningRate)")
    print("input  \(vector(r.input))\ntarget \(vector(r.target))\n")
    print("1. Forward pass (random initial weights)")
    for f in r.forward { print("   layer \(f.layer): net = W·x + b = \(vector(f.net))   out = σ(net) = \(vector(f.out))") }
    print("   error E = ½ Σ (target − out)² = \(fmt(r.lossBefore, 8))\n")
    print("2. Backward pass: the error flows from the output layer back to the first")
    for l in r.layers {
      let role = l.layer == r.sizes.count - 1 ? "output layer" : "hidden layer"
      print("   layer \(l.layer) (\(role), W is \(l.shape[0])×\(l.shape[1])): δ = ∂E/∂net = \(vector(l.delta))")
      print("     ∂E/∂W = δ·inputᵀ:")
      for row in l.weightGradient { print("       \(vector(row))") }
      print("     ∂E/∂b = \(vector(l.biasGradient))")
      print("     W ← W − η·∂E/∂W:")
      for (before, after) in zip(l.weightsBefore, l.updatedWeights) { print("       \(vector(before))  →  \(vector(after))") }
      print("     b ← \(vector(l.updatedBias))")
    }
    print("\n3. Forward pass again with the updated weights")
    print("   out = \(vector(r.outputAfter))")
    let change = r.lossAfter - r.lossBefore
    print("   error E = \(fmt(r.lossAfter, 8))  (was \(fmt(r.lossBefore, 8)); \(change < 0 ? "lower" : "NOT lower") by \(fmt(abs(change), 4)))")
  }

  private func vector(_ v: [Double]) -> String { "[" + v.map { String(format: "%+.6f", $0) }.joined(separator: ", ") + "]" }
}
