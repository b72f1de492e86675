import Foundation

/// A backward pass written out step by step: for every node, in the order backpropagation
/// visits them, the gradient that arrived (δ = ∂L/∂node), and for each input the
/// vector–Jacobian product that was actually computed, with shapes.
///
/// Read `text` for people and `json()` for programs. Built by `explain(_:)`.
public struct BackwardExplanation: Codable, Sendable {
  /// The name of the tensor backpropagated from (usually the loss).
  public var root: String
  /// Its shape.
  public var rootShape: [Int]
  /// How formulas write the root: its name when short (`z`), else `L`.
  public var symbol: String
  /// One entry per node that ran, in backward order.
  public var steps: [ExplainedStep]
}

/// One node's work in the backward pass.
public struct ExplainedStep: Codable, Sendable {
  /// Position in backward order, from 1.
  public var index: Int
  /// The node's name (its label, a parameter name, or e.g. `linear2`).
  public var node: String
  /// The name of the op that produced the node ("matmul", "pow").
  public var op: String
  /// The op with its parameters ("pow(exponent: 3)", "matmul(transposeB: true)").
  public var operation: String
  /// The op's inputs by name, in order.
  public var inputs: [String]
  /// The node's shape (also the shape of δ).
  public var outputShape: [Int]
  /// δ = ∂L/∂node when it has at most `Graph.valueLimit` elements.
  public var upstream: [Double]?
  /// Statistics of δ.
  public var upstreamSummary: ValueSummary
  /// The node's forward formula and its VJP, from the op value: "y = exp(x); VJP: δ ⊙ exp(x)".
  public var tapeFormula: String
  /// One entry per input that received a gradient.
  public var gradients: [ExplainedGradient]
  /// Inputs that needed no gradient (data, constants).
  public var skipped: [String]
}

/// The gradient one node sent to one input: ∂L/∂input = VJP(δ).
public struct ExplainedGradient: Codable, Sendable {
  /// The input's name.
  public var input: String
  /// The input's shape (the gradient has the same shape).
  public var inputShape: [Int]
  /// The vector–Jacobian product in maths notation, e.g. `δᵀ·x` or `δ ⊙ σ'(z)`.
  public var expression: String
  /// The shape of the gradient that was sent.
  public var resultShape: [Int]
  /// For matrix products, the operand shapes in order (e.g. `[[256, 128], [128, 784]]`).
  public var operands: [[Int]]
  /// What kind of product the VJP is.
  public var product: ProductKind
  /// The shape of the local Jacobian ∂node/∂input: the node's shape followed by the input's.
  public var jacobianShape: [Int]
  /// The structure of that Jacobian (which is why it is never built).
  public var jacobianStructure: JacobianStructure
  /// Axes of δ that were summed because the input was broadcast in the forward pass.
  public var summedAxes: [Int]
  /// ∂node/∂input itself, for one-element nodes (the study note's scalar chain rule).
  public var localDerivative: [Double]?
  /// The gradient sent, when it has at most `Graph.valueLimit` elements.
  public var sent: [Double]?
  /// Statistics of the gradient sent.
  public var sentSummary: ValueSummary
}

/// Runs `root.backward(gradient:)` and explains it step by step. Like `backward()`, it **adds** to
/// the leaves' `.grad`, so it can stand in for the `backward()` call of a training step.
///
/// ```swift
/// let loss = try softmaxCrossEntropy(logits: model(x), labels: y)
/// let explanation = try explain(loss, parameterNames: model.namedParameters)
/// print(explanation.text)   // "∂L/∂0.weight = δᵀ·x  [256×784] = [256×128]·[128×784]" …
/// ```
public func explain<Scalar>(_ root: Tensor<Scalar>, gradient: Tensor<Scalar>? = nil,
                            parameterNames: [(String, Tensor<Scalar>)] = []) -> BackwardExplanation {
  BackwardTrace.run(root, gradient: gradient, parameterNames: parameterNames).explanation
}

/// The graph and the explanation of one backward pass, recorded together.
public struct BackwardTrace: Sendable {
  /// The computation graph with every node's gradient.
  public var graph: Graph
  /// The step-by-step explanation.
  public var explanation: BackwardExplanation

  /// Runs `root.backward(gradient:retainGraph:)` with an observer and records both views.
  public static func run<Scalar>(_ root: Tensor<Scalar>, gradient: Tensor<Scalar>? = nil,
                                 parameterNames: [(String, Tensor<Scalar>)] = [],
                                 retainGraph: Bool = false) -> BackwardTrace {
    let walk = GraphWalk(root: root, parameterNames: parameterNames)
    var traced: [Int: TracedValue] = [:]
    var edges: [EdgeKey: TracedEdge] = [:]
    var steps: [ExplainedStep] = []
    root.backward(gradient: gradient, retainGraph: retainGraph) { step in
      guard let id = walk.ids[ObjectIdentifier(step.output)] else { return }
      traced[id] = TracedValue(step.upstream)
      for (k, sent) in step.sent.enumerated() {
        guard let sent, step.inputs[k].requiresGrad else { continue }
        edges[EdgeKey(to: id, input: k)] = TracedEdge(sent: TracedValue(sent), local: step.localDerivatives?[k]?.doubleValues)
      }
      let inputNames = step.inputs.map { walk.ids[ObjectIdentifier($0)].map { walk.names[$0] } ?? "?" }
      steps.append(ExplainRules.explain(step, index: steps.count + 1, name: walk.names[id], inputNames: inputNames))
    }
    let rootName = walk.names[walk.rootID]
    let explanation = BackwardExplanation(root: rootName, rootShape: root.shape,
                                          symbol: rootName.count <= 2 ? rootName : "L", steps: steps)
    return BackwardTrace(graph: walk.snapshot(traced: traced, edges: edges), explanation: explanation)
  }
}

extension BackwardExplanation {
  /// Pretty-printed, key-sorted JSON (non-finite numbers as "nan", "inf", "-inf").
  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }

  /// The step for the node called `node`, if it ran.
  public func step(for node: String) -> ExplainedStep? { steps.first { $0.node == node } }
}

extension ExplainedStep {
  /// The gradient sent to the input called `input`, if any.
  public func gradient(for input: String) -> ExplainedGradient? { gradients.first { $0.input == input } }
}
