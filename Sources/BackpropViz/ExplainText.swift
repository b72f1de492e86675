// The readable form of a `BackwardExplanation`: one block per node, one line per gradient.

extension BackwardExplanation {
  /// The explanation as plain text (no terminal escapes), one block per step:
  ///
  /// ```
  /// #2 linear2 = linear(sigmoid1, 2.weight, 2.bias)    δ = ∂L/∂linear2 [128×10]
  ///    ∂L/∂2.weight = δᵀ·sigmoid1  [10×256] = [10×128]·[128×256]
  ///        matrix product (·); Jacobian [128×10]×[10×256] = 1280×2560, Kronecker-structured (never built)
  /// ```
  public var text: String {
    var lines = ["Backward pass from \(root) \(formatShape(rootShape)): \(steps.count) steps, in the order backpropagation runs them.",
                 "δ is ∂\(symbol)/∂(node), the gradient that arrived from above (summed over all paths)."]
    for step in steps {
      lines.append("")
      var head = "#\(step.index) \(step.node) = \(step.op)(\(step.inputs.joined(separator: ", ")))    δ = ∂\(symbol)/∂\(wrapped(step.node)) \(formatShape(step.outputShape))"
      if let u = step.upstream { head += " = " + (u.count == 1 ? formatNumber(u[0], digits: 6) : formatValues(u)) }
      lines.append(head)
      for g in step.gradients { lines.append(contentsOf: g.textLines(upstream: step.upstream, symbol: symbol)) }
      if !step.skipped.isEmpty { lines.append("   (no gradient needed for \(step.skipped.joined(separator: ", ")))") }
    }
    return lines.joined(separator: "\n")
  }
}

extension ExplainedGradient {
  /// `∂L/∂W = δᵀ·x  [256×784] = [256×128]·[128×784]`, with `symbol` in place of L.
  public func equation(symbol: String = "L") -> String {
    var s = "∂\(symbol)/∂\(wrapped(input)) = \(expression)  \(formatShape(resultShape))"
    if !operands.isEmpty { s += " = " + operands.map(formatShape).joined(separator: "·") }
    return s
  }

  /// The lines of text for this gradient inside a step's block.
  func textLines(upstream: [Double]?, symbol: String) -> [String] {
    var first = "   " + equation(symbol: symbol)
    if let u = upstream, u.count == 1, let l = localDerivative, l.count == 1, let s = sent, s.count == 1 {
      first += "  = \(formatNumber(u[0], digits: 6)) × \(formatNumber(l[0], digits: 6)) = \(formatNumber(s[0], digits: 6))"
    } else if let s = sent, s.count > 1 {
      first += "  = " + formatValues(s)
    }
    let jacobian = jacobianText == "1×1" ? "local derivative (1×1)" : "Jacobian \(jacobianText), \(jacobianStructure.description)"
    var second = "       \(product.description); \(jacobian)"
    if !summedAxes.isEmpty {
      second += "; summed over broadcast axes \(summedAxes.map(String.init).joined(separator: ", "))"
    }
    return [first, second]
  }

  /// `[128×10]×[128×256] = 1280×32768`, or `1×n` for a one-element node.
  public var jacobianText: String {
    let outCount = jacobianShape.prefix(jacobianShape.count - inputShape.count).reduce(1, *)
    let inCount = inputShape.reduce(1, *)
    let outShape = Array(jacobianShape.prefix(jacobianShape.count - inputShape.count))
    if outCount == 1 { return "1×\(inCount)" }  // a one-element node: a single row, the study note's 1×n
    if outShape.count <= 1 && inputShape.count <= 1 { return "\(outCount)×\(inCount)" }
    return "\(formatShape(outShape))×\(formatShape(inputShape)) = \(outCount)×\(inCount)"
  }
}

extension ProductKind: CustomStringConvertible {
  /// How the kind reads in a sentence.
  public var description: String {
    switch self {
    case .hadamard: return "Hadamard product (⊙, element by element)"
    case .matrix: return "matrix product (·)"
    case .scale: return "scaled by a number"
    case .identity: return "passed through unchanged"
    case .sum: return "summed"
    case .broadcast: return "copied (broadcast)"
    case .rearrange: return "rearranged"
    case .other: return "custom VJP"
    }
  }
}

extension JacobianStructure: CustomStringConvertible {
  /// How the structure reads in a sentence.
  public var description: String {
    switch self {
    case .diagonal: return "diagonal (never built)"
    case .broadcastDiagonal: return "diagonal repeated over the broadcast axes (never built)"
    case .row: return "a single row (1×n)"
    case .kronecker: return "Kronecker-structured (never built)"
    case .reduction: return "rows of ones"
    case .expansion: return "columns of ones"
    case .permutation: return "a permutation"
    case .selection: return "a 0/1 selection"
    case .dense: return "dense"
    }
  }
}

/// A name with spaces or operators in parentheses, so that `∂z/∂(x + y)` reads right.
func wrapped(_ name: String) -> String {
  name.contains(where: { $0 == " " || "+−-*/·⊙".contains($0) }) ? "(\(name))" : name
}
