import ArgumentParser
import Backprop
import Foundation

/// `backprop chain-rule`: the study note's scalar example, by autodiff and in closed form, with the trace.
struct ChainRuleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "chain-rule",
    abstract: "z = x² − y², x = s − sin t, y = eˢ + cos t: dz/ds and dz/dt by backpropagation and by hand.")

  @Option(parsing: .unconditional, help: "The value of s (negative values are fine: --s -1.5).") var s: Double = 0.5
  @Option(parsing: .unconditional, help: "The value of t.") var t: Double = 1.2
  @OptionGroup var output: OutputOptions
  @OptionGroup var viz: VizOptions

  func validate() throws {
    guard s.isFinite, t.isFinite else { throw CommandError("--s and --t must be finite numbers") }
  }

  func run() throws {
    let report = try ChainRuleReport.compute(s: s, t: t)
    let explanation = try viz.emit(picture: report.svg(), graph: { try ChainRuleReport.graph(s: s, t: t).output })
    if output.json { return try printJSON(report, explanation: explanation) }
    defer { viz.printExplanation(explanation) }
    print("Forward:  x = s − sin t = \(fmt(report.x, 12))   y = eˢ + cos t = \(fmt(report.y, 12))   z = x² − y² = \(fmt(report.z, 12))")
    print("\nBackward (each node: upstream gradient × local derivative → sent to input):")
    for entry in report.trace {
      for edge in entry.edges {
        print("  \(pad(entry.node, 6)) \(pad(entry.op, 9)) \(pad(fmt(entry.upstream), 13)) × \(pad(fmt(edge.localDerivative), 13)) = \(pad(fmt(edge.sent), 13)) → \(edge.input)")
      }
    }
    print("\nSums at the leaves (one contribution per path):")
    for sum in report.sums {
      print("  d z/d\(sum.leaf) = " + signedSum(sum.contributions.map { fmt($0) }) + " = \(fmt(sum.sum, 15))")
    }
    print("\n              autodiff              closed form           |difference|")
    print("  dz/ds   \(pad(fmt(report.dzds, 15), 21)) \(pad(fmt(report.closedForm.dzds, 15), 21)) \(fmt(report.difference.dzds, 3))")
    print("  dz/dt   \(pad(fmt(report.dzdt, 15), 21)) \(pad(fmt(report.closedForm.dzdt, 15), 21)) \(fmt(report.difference.dzdt, 3))")
  }
}

/// `backprop vector-chain-rule`: the study note's vector example with Hadamard products and Jacobian shapes.
struct VectorChainRuleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vector-chain-rule",
    abstract: "x = s ⊙ t, y = s − t, z = mean(x + y): dz/ds, dz/dt as 1×n rows, with the local Jacobians.")

  @Option(parsing: .unconditional, help: "The vector s, comma-separated (may start with a minus: --s -1,2).") var s: String = "1,2,3,4"
  @Option(parsing: .unconditional, help: "The vector t, comma-separated (same length as s).") var t: String = "0.5,-1,2,0"
  @Option(help: "How z combines x and y: add (mean(x + y)) or multiply (mean(x ⊙ y)).") var combine: VectorChainRuleReport.Combine = .add
  @OptionGroup var output: OutputOptions
  @OptionGroup var viz: VizOptions

  func run() throws {
    let sv = try parseNumbers(s, option: "--s"), tv = try parseNumbers(t, option: "--t")
    guard sv.count == tv.count else { throw CommandError("--s has \(sv.count) numbers but --t has \(tv.count); they must match") }
    let report = try VectorChainRuleReport.compute(s: sv, t: tv, combine: combine)
    let explanation = try viz.emit(picture: report.svg(), graph: { try VectorChainRuleReport.graph(s: sv, t: tv, combine: combine).output })
    if output.json { return try printJSON(report, explanation: explanation) }
    defer { viz.printExplanation(explanation) }
    let row = { (v: [Double]) in "[" + v.map { fmt($0) }.joined(separator: ", ") + "]" }
    print("x = s ⊙ t = \(row(report.x))")
    print("y = s − t = \(row(report.y))")
    print("z = mean(\(combine == .add ? "x + y" : "x ⊙ y")) = \(fmt(report.z, 12))\n")
    print("Local Jacobians (shape, matrix):")
    for name in ["dx/ds", "dx/dt", "dy/ds", "dy/dt", "dz/dx", "dz/dy"] {
      let shape = report.shapes[name]!
      print("  \(pad(name, 6)) \(pad("\(shape[0])×\(shape[1])", 6)) " + report.jacobians[name]!.map(row).joined(separator: " "))
    }
    print("\ndz/ds = dz/dx·dx/ds + dz/dy·dy/ds  (1×n) = \(row(report.dzds[0]))")
    print("dz/dt = dz/dx·dx/dt + dz/dy·dy/dt  (1×n) = \(row(report.dzdt[0]))")
    print("max |backprop − Jacobian product|    = \(fmt(report.maxDifferenceFromJacobianProduct, 3))")
    print("max |backprop − finite differences|  = \(fmt(report.maxDifferenceFromFiniteDifferences, 3))")
  }
}

extension VectorChainRuleReport.Combine: ExpressibleByArgument {}

/// `backprop jacobian-shapes`: (m,n)(n,o)(o,p) → (m,p), checked against the composite's Jacobian.
struct JacobianShapesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "jacobian-shapes",
    abstract: "Jacobians of f(g(h(i))) compose by shape: (m,n)·(n,o)·(o,p) → (m,p).")

  @Option(help: "Size of f's output.") var m: Int = 3
  @Option(help: "Size of g's output.") var n: Int = 4
  @Option(help: "Size of h's output.") var o: Int = 5
  @Option(help: "Size of the input i.") var p: Int = 2
  @Option(help: "Seed for the random weights and point.") var seed: UInt64 = 0
  @OptionGroup var output: OutputOptions
  @OptionGroup var viz: VizOptions

  func validate() throws {
    for (name, v) in [("m", m), ("n", n), ("o", o), ("p", p)] where v < 1 || v > 4096 {
      throw CommandError("--\(name) must be between 1 and 4096 (got \(v))")
    }
  }

  func run() throws {
    let report = try JacobianShapesReport.compute(m: m, n: n, o: o, p: p, seed: seed)
    let explanation = try viz.emit(picture: report.svg(), graph: { try JacobianShapesReport.graph(m: m, n: n, o: o, p: p, seed: seed).output })
    if output.json { return try printJSON(report, explanation: explanation) }
    defer { viz.printExplanation(explanation) }
    let shape = { (k: String) in report.shapes[k]!.map(String.init).joined(separator: "×") }
    print("df/dg \(shape("df/dg")) · dg/dh \(shape("dg/dh")) · dh/di \(shape("dh/di")) = \(shape("product"))")
    print("direct Jacobian of f∘g∘h: \(shape("direct"))")
    print("max |product − direct|        = \(fmt(report.maxDifference, 3))")
    print("max |row 1 − one VJP (e₁)ᵀJ|  = \(fmt(report.maxDifferenceFromVJPRow, 3))")
  }
}

/// Left-aligns `text` in a column of `width` characters.
func pad(_ text: String, _ width: Int) -> String {
  text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// `--graph`, `--svg`, `--explain`: pictures and explanations of a seed example (BackpropViz).
struct VizOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Write the autodiff graph, with values and gradients: Graphviz DOT, or SVG if the name ends in .svg "
    + "and Graphviz's `dot` is installed (else DOT is written beside it).", valueName: "file"))
  var graph: String?
  @Option(help: ArgumentHelp("Write the study note's picture as a standalone SVG (no Graphviz needed).", valueName: "file"))
  var svg: String?
  @Flag(help: "Explain every step of the backward pass: the VJP computed, shapes, Jacobian structure (in the JSON with --json).")
  var explain = false

  /// Writes the requested files (messages go to standard error) and returns the explanation if asked.
  func emit(picture: @autoclosure () -> String, graph makeLoss: () throws -> Tensor<Double>) throws -> BackwardExplanation? {
    if let svg {
      try picture().write(toFile: svg, atomically: true, encoding: .utf8)
      printError("wrote picture (SVG) to \(svg)")
    }
    guard graph != nil || explain else { return nil }
    let trace = BackwardTrace.run(try makeLoss())
    if let graph { printError(try GraphFile.write(trace.graph, to: graph)) }
    return explain ? trace.explanation : nil
  }

  /// Prints the explanation's text after the command's own output.
  func printExplanation(_ explanation: BackwardExplanation?) {
    if let explanation { print("\n" + explanation.text) }
  }
}

/// Prints a line to standard error (file messages keep standard output clean for piping).
func printError(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// The report as JSON, wrapped with its explanation when `--explain` asked for one.
func printJSON<T: Encodable>(_ report: T, explanation: BackwardExplanation?) throws {
  guard let explanation else { return try printJSON(report) }
  try printJSON(ExplainedReport(report: report, explanation: explanation))
}

/// `{"report": …, "explanation": …}` for `--json --explain`.
struct ExplainedReport<Report: Encodable>: Encodable {
  var report: Report
  var explanation: BackwardExplanation
}

/// Terms joined as a sum with their signs: `["-6.63", "-0.86", "2"]` → `-6.63 − 0.86 + 2`
/// (not `-6.63 + -0.86`).
func signedSum(_ terms: [String]) -> String {
  var text = ""
  for (i, term) in terms.enumerated() {
    let negative = term.hasPrefix("-")
    let magnitude = negative ? String(term.dropFirst()) : term
    text += i == 0 ? (negative ? "-" : "") + magnitude : (negative ? " − " : " + ") + magnitude
  }
  return text
}
