/// What a pullback receives besides the upstream gradient `g`: the op's inputs and output.
///
/// Passing them in, instead of letting the closure capture them, is what keeps the graph free
/// of reference cycles: a closure that captured its own output would keep the whole graph alive.
public struct BackwardContext<Scalar: TensorScalar> {
  /// The op's inputs, in the order they were recorded.
  public let inputs: [Tensor<Scalar>]
  /// The op's output (use it in formulas like `exp: g · y`).
  public let output: Tensor<Scalar>
  /// Whether backward should compute a gradient for input `i` (skip work for data inputs).
  public func needsGradient(_ i: Int) -> Bool { inputs[i].requiresGrad }
  /// Leading dimensions that `g` carries beyond the output's shape: empty in an ordinary
  /// backward pass, `[k]` in `backward(batchedSeed:)`, where k cotangents flow back at once.
  /// Pullbacks that reshape or un-broadcast must keep them (elementwise ones need not care).
  public var batchShape: [Int] = []

  /// The number of leading batch dimensions of `g`.
  public var batchRank: Int { batchShape.count }

  /// `shape` with the batch dimensions in front (what a gradient for that shape looks like here).
  public func batched(_ shape: [Int]) -> [Int] { batchShape.isEmpty ? shape : batchShape + shape }

  /// Sums `g` (shaped like the output, plus batch dimensions) back to input `i`'s shape: the one
  /// place where broadcasting is undone (PyTorch's `sum_to`).
  public func unbroadcast(_ g: Tensor<Scalar>, toInput i: Int) throws -> Tensor<Scalar> {
    let x = inputs[i].shape
    if batchShape.isEmpty { return try g.sum(toShape: x) }
    let padded = batchShape + [Int](repeating: 1, count: Swift.max(0, g.rank - batchShape.count - x.count)) + x
    return try g.sum(toShape: padded).reshaped(to: batchShape + x)
  }
}

/// A vector–Jacobian product: upstream gradient `g` (shape of the output) → one gradient per
/// input (shape of that input), `nil` where an input gets none.
public typealias Pullback<Scalar: TensorScalar> =
  (_ g: Tensor<Scalar>, _ context: BackwardContext<Scalar>) throws -> [Tensor<Scalar>?]

/// A Jacobian–vector product for forward mode: the inputs' tangents (`nil` = zero) → the output's.
public typealias Pushforward<Scalar: TensorScalar> =
  (_ tangents: [Tensor<Scalar>?], _ context: BackwardContext<Scalar>) throws -> Tensor<Scalar>

/// The node of the graph stored in an op's output: its inputs and how to send a gradient to them.
struct GradFn<Scalar: TensorScalar> {
  var op: String
  var inputs: [Tensor<Scalar>]
  var pullback: Pullback<Scalar>?
  /// A one-line description of the VJP for `explain()`, e.g. "g ⊙ y".
  var formula: StaticString
  /// Where the op was recorded (a raw backtrace, symbolicated only if reported); anomaly mode only.
  var site: CreationSite? = nil
}

extension Tensor {
  /// Wraps a freshly computed forward result and, when needed, records it in the graph.
  ///
  /// Every op ends by calling this: it sets `requiresGrad` and the pullback when gradient
  /// recording is on and some input requires a gradient; it computes the forward-mode tangent
  /// when some input carries one; and in anomaly mode it checks the result for NaN/∞.
  /// Public so that users can define their own differentiable ops (see `customOp`).
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public static func recordResult(
    _ op: String, shape: [Int], scalars: [Scalar], inputs: [Tensor], formula: StaticString = "",
    pullback: @escaping Pullback<Scalar>, pushforward: Pushforward<Scalar>? = nil
  ) throws -> Tensor {
    let out = Tensor(uncheckedShape: shape, scalars: scalars)
    let state = ThreadState.current
    if state.gradEnabled {
      var needs = false
      for x in inputs where x.requiresGrad { needs = true; break }
      if needs {
        out.requiresGrad = true
        out.gradFn = GradFn(op: op, inputs: inputs, pullback: pullback, formula: formula,
                            site: state.anomalyDetection ? CreationSite.capture() : nil)
      }
    }
    var hasTangent = false
    if state.tangentsEnabled { for x in inputs where x.tangent != nil { hasTangent = true; break } }
    if hasTangent {
      guard let pushforward else {
        throw TensorError.invalidArgument(op: op, message: "has no forward-mode (JVP) rule")
      }
      let context = BackwardContext(inputs: inputs, output: out)
      state.tangentsEnabled = false
      defer { state.tangentsEnabled = true }
      out.tangent = try withoutGradient { try pushforward(inputs.map { $0.tangent }, context) }
    }
    if state.anomalyDetection, state.firstAnomaly == nil, !scalars.allSatisfy({ $0.isFinite }) {
      // Ops do not throw for this (most cannot fail otherwise); the first anomaly is kept and
      // thrown by `backward()` and at the end of `withAnomalyDetection { }`.
      state.firstAnomaly = TensorError.nonFinite(
        op: op, phase: "forward", location: CreationSite.capture().description, inputShapes: inputs.map(\.shape))
    }
    return out
  }

  /// `recordResult` for built-in ops whose pushforward cannot fail (their shapes agree by
  /// construction), so that ops like `exp()` need no `try`.
  static func record(
    _ op: String, shape: [Int], scalars: [Scalar], inputs: [Tensor], formula: StaticString = "",
    pullback: @escaping Pullback<Scalar>, pushforward: @escaping Pushforward<Scalar>
  ) -> Tensor {
    // swiftlint:disable:next force_try
    try! recordResult(op, shape: shape, scalars: scalars, inputs: inputs, formula: formula,
                      pullback: pullback, pushforward: pushforward)
  }

  /// Defines a differentiable op from a forward function and its VJP (and optionally its JVP).
  ///
  /// ```swift
  /// // softplus(x) = log(1 + eˣ),  d/dx = σ(x)
  /// let y = try Tensor.customOp("softplus", inputs: [x],
  ///   forward: { xs in (xs[0].exp() + 1).log() },
  ///   pullback: { g, ctx in [g * ctx.inputs[0].sigmoid()] })
  /// ```
  /// `forward` runs without recording; the pullback is written with tensor ops, so it is itself
  /// differentiable when `backward(createGraph: true)` is used.
  public static func customOp(
    _ name: String, inputs: [Tensor], forward: ([Tensor]) throws -> Tensor,
    pullback: @escaping Pullback<Scalar>, pushforward: Pushforward<Scalar>? = nil
  ) throws -> Tensor {
    let value = try withoutGradient { try forward(inputs.map { $0.detached() }) }
    return try recordResult(name, shape: value.shape, scalars: value.scalars, inputs: inputs,
                            pullback: pullback, pushforward: pushforward)
  }
}
