// The chain rule, node by node: for each node on the path to the output, its upstream gradient
// ∂out/∂node and, for each operand, the local derivative ∂node/∂operand and their product — the
// operand's share of ∂out/∂operand (shares from all of an operand's uses add up).

/// One node of a traced backward pass (see `ScalarTape.trace(from:)`).
public struct ScalarTraceStep: Sendable, Equatable {
  /// One operand's part: the local derivative and the gradient it passes back.
  public struct Operand: Sendable, Equatable {
    /// The operand's node index.
    public var node: Int
    /// ∂node/∂operand, stored when the node was recorded.
    public var localDerivative: Double
    /// upstream × local: this use's contribution to ∂out/∂operand.
    public var contribution: Double
  }
  /// The node's index on the tape.
  public var node: Int
  /// The operation ("mul", "tanh", "var", ...).
  public var op: String
  /// The node's forward value.
  public var value: Double
  /// ∂out/∂node, the gradient arriving from above.
  public var upstream: Double
  /// The recorded operands (constants are not recorded), in order.
  public var operands: [Operand]
}

extension ScalarTape {
  /// The backward pass from `output` as a list of steps, output first, limited to the nodes the
  /// output depends on. Runs `backward(from: output)` (so `grad` is set afterwards).
  public func trace(from output: Value<T>) -> [ScalarTraceStep] {
    let derivatives = backward(from: output)
    let end = Int(output.index)
    var needed = [Bool](repeating: false, count: end + 1)
    needed[end] = true
    var steps: [ScalarTraceStep] = []
    for i in stride(from: end, through: 0, by: -1) where needed[i] {
      let node = nodes[i]
      let upstream = derivatives.values[i]
      var operands: [ScalarTraceStep.Operand] = []
      for (operand, partial) in [(node.lhs, node.lhsPartial), (node.rhs, node.rhsPartial)] where operand >= 0 {
        needed[Int(operand)] = true
        operands.append(.init(node: Int(operand), localDerivative: Double(partial), contribution: Double(upstream * partial)))
      }
      steps.append(ScalarTraceStep(node: i, op: node.op.name, value: Double(node.value), upstream: Double(upstream), operands: operands))
    }
    return steps
  }
}

extension Array where Element == ScalarTraceStep {
  /// A table, one line per node: `%7 = mul(%3, %5) = 0.5  upstream 2 | %3: local 1.5 → 3 | ...`.
  public var formatted: String {
    map { step in
      let args = step.operands.map { "%\($0.node)" }.joined(separator: ", ")
      let head = step.op == "var" ? "%\(step.node) = var" : "%\(step.node) = \(step.op)(\(args))"
      var line = "\(head) = \(step.value)   ∂out/∂%\(step.node) = \(step.upstream)"
      for operand in step.operands {
        line += "  | %\(operand.node): \(step.upstream) × \(operand.localDerivative) = \(operand.contribution)"
      }
      return line
    }.joined(separator: "\n")
  }
}
