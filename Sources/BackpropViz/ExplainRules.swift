import Foundation

// How each op's vector–Jacobian product reads in maths notation. The tape runs the VJPs; this
// file only names what they computed, from the op, the input names and the shapes reported
// by the backward observer. δ always stands for ∂L/∂(the node's output).

/// One input's description before the shapes and values are attached.
struct VJPDescription {
  var expression: String
  var product: ProductKind
  var structure: JacobianStructure
  var operands: [[Int]] = []
}

enum ExplainRules {
  /// Turns one observed backward step into an `ExplainedStep`.
  static func explain<Scalar>(_ step: BackwardStep<Scalar>, index: Int, name: String, inputNames: [String]) -> ExplainedStep {
    let out = step.output.shape
    var gradients: [ExplainedGradient] = []
    var skipped: [String] = []
    for (k, input) in step.inputs.enumerated() {
      guard input.requiresGrad, let sent = step.sent[k] else { skipped.append(inputNames[k]); continue }
      var d = describe(step, input: k, names: inputNames)
      let summed = summedAxes(from: out, to: input.shape, op: step.op)
      if step.output.count == 1 && d.structure != .row { d.structure = .row }
      let traced = TracedValue(sent)
      gradients.append(ExplainedGradient(
        input: inputNames[k], inputShape: input.shape, expression: d.expression, resultShape: sent.shape,
        operands: d.operands, product: d.product, jacobianShape: out + input.shape, jacobianStructure: d.structure,
        summedAxes: summed, localDerivative: step.localDerivatives?[k]?.doubleValues,
        sent: traced.small, sentSummary: traced.summary))
    }
    let upstream = TracedValue(step.upstream)
    return ExplainedStep(
      index: index, node: name, op: step.op, inputs: inputNames, outputShape: out, upstream: upstream.small,
      upstreamSummary: upstream.summary, tapeFormula: step.formula, gradients: gradients, skipped: skipped)
  }

  /// Axes of the output that were summed to bring δ back to the input's shape (NumPy
  /// broadcasting: missing leading axes, and axes where the input had size 1).
  static func summedAxes(from out: [Int], to input: [Int], op: String) -> [Int] {
    let elementwise: Set<String> = ["add", "subtract", "multiply", "divide", "maximum", "pow", "broadcast", "sumToShape"]
    if op == "linear" && input.count == 1 { return [0] }  // the bias: Σ over the batch rows
    if op == "matmul" {
      // Only batch axes can broadcast in a matmul.
      let lead = out.count - input.count
      return Array(0..<max(lead, 0)) + (0..<max(input.count - 2, 0)).compactMap { i in
        input[i] == 1 && out[lead + i] != 1 ? lead + i : nil
      }
    }
    guard elementwise.contains(op), out != input, out.count >= input.count else { return [] }
    let lead = out.count - input.count
    var axes = Array(0..<lead)
    for (i, d) in input.enumerated() where d == 1 && out[lead + i] != 1 { axes.append(lead + i) }
    return axes
  }

  /// The expression, product kind and Jacobian structure of input `k`'s VJP.
  static func describe<Scalar>(_ step: BackwardStep<Scalar>, input k: Int, names: [String]) -> VJPDescription {
    let x = names[k]
    let scalarOut = step.output.count == 1
    let sameShape = step.inputs[k].shape == step.output.shape
    let elementwise: JacobianStructure = sameShape ? .diagonal : .broadcastDiagonal
    /// `δ ⊙ f` for tensors, `δ · f` when everything is one number.
    func times(_ factor: String) -> VJPDescription {
      scalarOut ? VJPDescription(expression: "δ · \(factor)", product: .scale, structure: .row)
        : VJPDescription(expression: "δ ⊙ \(factor)", product: .hadamard, structure: elementwise)
    }
    /// A binary op's factor: a one-element other operand scales δ instead of multiplying elementwise.
    func timesOther(_ factor: String, other: Int) -> VJPDescription {
      step.inputs[other].count == 1 && !scalarOut
        ? VJPDescription(expression: "δ · \(factor)", product: .scale, structure: elementwise) : times(factor)
    }
    switch step.op {
    case "sin": return times("cos(\(x))")
    case "cos": return VJPDescription(expression: "−" + times("sin(\(x))").expression, product: scalarOut ? .scale : .hadamard, structure: elementwise)
    case "exp": return times("exp(\(x))")
    case "log": return VJPDescription(expression: "δ / \(x)", product: scalarOut ? .scale : .hadamard, structure: elementwise)
    case "sqrt": return VJPDescription(expression: "δ / (2√\(x))", product: scalarOut ? .scale : .hadamard, structure: elementwise)
    case "tanh": return times("(1 − tanh²(\(x)))")
    case "sigmoid": return times("σ'(\(x))")
    case "relu": return times("1[\(x) > 0]")
    case "abs": return times("sign(\(x))")
    case "erf": return times("(2/√π)·exp(−\(x)²)")
    case "negate": return VJPDescription(expression: "−δ", product: .scale, structure: elementwise)
    case "pow" where step.inputs.count == 1:
      return times(powerFactor(step, x))
    case "add": return VJPDescription(expression: "δ", product: .identity, structure: elementwise)
    case "subtract": return VJPDescription(expression: k == 0 ? "δ" : "−δ", product: k == 0 ? .identity : .scale, structure: elementwise)
    case "multiply": return timesOther(names[1 - k], other: 1 - k)
    case "divide":
      return k == 0 ? VJPDescription(expression: "δ / \(names[1])", product: step.inputs[1].count == 1 ? .scale : .hadamard, structure: elementwise)
        : VJPDescription(expression: "−δ ⊙ \(names[0]) / \(names[1])²", product: .hadamard, structure: elementwise)
    case "maximum": return times(k == 0 ? "1[\(names[0]) ≥ \(names[1])]" : "1[\(names[0]) < \(names[1])]")
    case "pow": return times(k == 0 ? "\(names[1])·\(names[0])^(\(names[1])−1)" : "\(names[0])^\(names[1]) ⊙ log \(names[0])")
    case "matmul": return matmul(step, input: k, names: names)
    case "linear": return linear(step, input: k, names: names)
    case "sum", "sumToShape":
      return VJPDescription(expression: "broadcast δ to \(formatShape(step.inputs[k].shape))", product: .broadcast,
                            structure: scalarOut ? .row : .reduction)
    case "broadcast": return VJPDescription(expression: "sum δ back to \(formatShape(step.inputs[k].shape))", product: .sum, structure: .expansion)
    case "reshape": return VJPDescription(expression: "reshape δ to \(formatShape(step.inputs[k].shape))", product: .rearrange, structure: .permutation)
    case "permute": return VJPDescription(expression: "permute δ back (inverse permutation)", product: .rearrange, structure: .permutation)
    case "slice": return VJPDescription(expression: "δ padded with zeros", product: .rearrange, structure: .selection)
    case "pad": return VJPDescription(expression: "δ sliced back", product: .rearrange, structure: .selection)
    case "concatenate": return VJPDescription(expression: "slice \(k) of δ", product: .rearrange, structure: .selection)
    case "gatherRows": return VJPDescription(expression: "δ scatter-added into rows", product: .rearrange, structure: .selection)
    case "scatterRows": return VJPDescription(expression: "rows of δ gathered", product: .rearrange, structure: .selection)
    case "max": return times("1[\(x) = max] / #ties")
    case "softmaxCrossEntropy":
      let n = step.inputs[k].shape.first ?? 1
      return VJPDescription(expression: "δ · (softmax(\(x)) − onehot(y)) / \(n)", product: .scale, structure: .row)
    case "binaryCrossEntropy":
      let n = step.inputs[k].count
      return VJPDescription(expression: k == 0 ? "δ · (σ(\(x)) − \(names[1])) / \(n)" : "δ · (−\(names[0])) / \(n)",
                            product: .scale, structure: .row)
    default:
      let formula = step.formula.isEmpty ? "VJP of \(step.op)" : renamingUpstream(step.formula)
      return VJPDescription(expression: formula, product: .other, structure: .dense)
    }
  }

  /// The tape's formulas call the upstream gradient `g`; ours call it δ. Only a standalone
  /// `g` is renamed (not the g of `log` or `sigmoid`).
  static func renamingUpstream(_ formula: String) -> String {
    let chars = Array(formula)
    var out = ""
    for (i, ch) in chars.enumerated() {
      let before = i > 0 ? chars[i - 1] : " ", after = i + 1 < chars.count ? chars[i + 1] : " "
      out.append(ch == "g" && !before.isLetter && !after.isLetter ? "δ" : ch)
    }
    return out
  }

  /// `2·x` for a square, `p·x^(p−1)` with p read back from the values otherwise.
  private static func powerFactor<Scalar>(_ step: BackwardStep<Scalar>, _ x: String) -> String {
    let xs = step.inputs[0].scalars, ys = step.output.scalars
    let usable = { (i: Int) in xs[i] != 0 && ys[i] != 0 && Swift.abs(Swift.abs(Double(xs[i])) - 1) > 1e-3 }
    if let i = xs.indices.first(where: usable) {
      let p = Foundation.log(Swift.abs(Double(ys[i]))) / Foundation.log(Swift.abs(Double(xs[i])))
      let rounded = (p * 1000).rounded() / 1000
      if rounded == 2 { return "2·\(x)" }
      return "\(formatNumber(rounded))·\(x)^\(formatNumber(rounded - 1))"
    }
    return "p·\(x)^(p−1)"
  }

  /// C = op(A)·op(B): the transposes are read back from the shapes (the untransposed reading
  /// wins when both fit, i.e. for square matrices).
  private static func matmul<Scalar>(_ step: BackwardStep<Scalar>, input k: Int, names: [String]) -> VJPDescription {
    let (a, b, c) = (step.inputs[0].shape, step.inputs[1].shape, step.output.shape)
    let (m, n) = (c[c.count - 2], c[c.count - 1])
    let transposeA = a[a.count - 2] != m
    let transposeB = b[b.count - 1] != n
    let kk = transposeA ? a[a.count - 2] : a[a.count - 1]
    let (A, B) = (names[0], names[1])
    let batched = c.count > 2 ? "batched " : ""
    let desc: (String, [[Int]])
    switch (k, transposeA, transposeB) {
    case (0, false, false): desc = ("δ·\(B)ᵀ", [[m, n], [n, kk]])
    case (0, false, true): desc = ("δ·\(B)", [[m, n], [n, kk]])
    case (0, true, false): desc = ("\(B)·δᵀ", [[kk, n], [n, m]])
    case (0, true, true): desc = ("\(B)ᵀ·δᵀ", [[kk, n], [n, m]])
    case (_, false, false): desc = ("\(A)ᵀ·δ", [[kk, m], [m, n]])
    case (_, true, false): desc = ("\(A)·δ", [[kk, m], [m, n]])
    case (_, false, true): desc = ("δᵀ·\(A)", [[n, m], [m, kk]])
    default: desc = ("δᵀ·\(A)ᵀ", [[n, m], [m, kk]])
    }
    return VJPDescription(expression: batched + desc.0, product: .matrix, structure: .kronecker, operands: desc.1)
  }

  /// y = x·Wᵀ + b with x [batch×in], W [out×in], b [out].
  private static func linear<Scalar>(_ step: BackwardStep<Scalar>, input k: Int, names: [String]) -> VJPDescription {
    let x = step.inputs[0].shape, w = step.inputs[1].shape
    let (batch, input, output) = (x[0], w[1], w[0])
    switch k {
    case 0: return VJPDescription(expression: "δ·\(names[1])", product: .matrix, structure: .kronecker,
                                  operands: [[batch, output], [output, input]])
    case 1: return VJPDescription(expression: "δᵀ·\(names[0])", product: .matrix, structure: .kronecker,
                                  operands: [[output, batch], [batch, input]])
    default: return VJPDescription(expression: "Σ_rows δ", product: .sum, structure: .reduction)
    }
  }
}
