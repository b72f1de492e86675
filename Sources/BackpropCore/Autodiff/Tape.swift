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
  /// backward pass, `[k]` in `backward(batchedGradient:)`, where k cotangents flow back at once.
  /// Pullbacks that reshape or un-broadcast must keep them (elementwise ones need not care).
  public var batchShape: [Int] = []

  /// The number of leading batch dimensions of `g`.
  public var batchRank: Int { batchShape.count }

  /// `shape` with the batch dimensions in front (what a gradient for that shape looks like here).
  public func batched(_ shape: [Int]) -> [Int] { batchShape.isEmpty ? shape : batchShape + shape }

  /// Sums `g` (shaped like the output, plus batch dimensions) back to input `i`'s shape: the one
  /// place where broadcasting is undone (PyTorch's `sum_to`).
  public func unbroadcast(_ g: Tensor<Scalar>, toInput i: Int) -> Tensor<Scalar> {
    let x = inputs[i].shape
    if batchShape.isEmpty { return g.sum(toShape: x) }
    let padded = batchShape + [Int](repeating: 1, count: Swift.max(0, g.rank - batchShape.count - x.count)) + x
    return g.sum(toShape: padded).reshaped(to: batchShape + x)
  }
}

/// A vector–Jacobian product: upstream gradient `g` (shape of the output) → one gradient per
/// input (shape of that input), `nil` where an input gets none.
public typealias Pullback<Scalar: TensorScalar> =
  (_ g: Tensor<Scalar>, _ context: BackwardContext<Scalar>) -> [Tensor<Scalar>?]

/// A Jacobian–vector product for forward mode: the inputs' tangents (`nil` = zero) → the output's.
public typealias Pushforward<Scalar: TensorScalar> =
  (_ tangents: [Tensor<Scalar>?], _ context: BackwardContext<Scalar>) -> Tensor<Scalar>

/// The node of the graph stored in an op's output: the op value that made it (with its
/// parameters), its inputs, and its VJP bound to that value.
///
/// A class, not a struct: a tensor's `gradFn` is then one reference, which `Tensor`'s deinit —
/// generic code that Swift never specialises — frees with a release instead of looking up the
/// metadata of a generic struct to destroy it (a tenth of the time of a scalar chain).
final class GradFn<Scalar: TensorScalar> {
  let op: any Op
  var inputs: [Tensor<Scalar>]
  /// `op.vjp`, bound when the node was recorded (in code specialised for `Scalar`); `nil` once
  /// the graph is released.
  var pullback: Pullback<Scalar>?
  /// Where the op was recorded (a raw backtrace, symbolicated only if reported); anomaly mode only.
  let site: CreationSite?

  init(op: any Op, inputs: [Tensor<Scalar>], pullback: Pullback<Scalar>?, site: CreationSite? = nil) {
    (self.op, self.inputs, self.pullback, self.site) = (op, inputs, pullback, site)
  }

  /// Drops the inputs and the VJP (after a backward pass without `retainGraph`, or when the
  /// output dies): the node keeps only its op, for descriptions.
  func release() {
    inputs = []
    pullback = nil
  }
}

extension Tensor {
  /// Runs `op`'s forward kernel on `inputs` and records the result in the graph.
  ///
  /// Every built-in op's public method ends here: `x.exp()` is `Tensor.apply(Exp(), to: [x])`.
  @inline(__always)
  public static func apply<O: Op>(_ op: O, to inputs: [Tensor]) -> Tensor {
    let (shape, scalars) = op.forward(inputs)
    return recordNode(op, shape: shape, scalars: scalars, inputs: inputs,
                      pullback: { g, c in op.vjp(g, c) }, pushforward: { t, c in op.jvp(t, c) })
  }

  /// Wraps a freshly computed forward result and, when needed, records it in the graph.
  ///
  /// It sets `requiresGrad` and the node when gradient recording is on and some input requires
  /// a gradient; it computes the forward-mode tangent when some input carries one; and in
  /// anomaly mode it checks the result for NaN/∞.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  static func recordNode(
    _ op: any Op, shape: [Int], scalars: [Scalar], inputs: [Tensor],
    pullback: @escaping Pullback<Scalar>, pushforward: Pushforward<Scalar>
  ) -> Tensor {
    let out = Tensor(uncheckedShape: shape, scalars: scalars)
    let state = ThreadState.current
    if state.gradEnabled {
      var needs = false
      for x in inputs where x.requiresGrad { needs = true; break }
      if needs {
        out.requiresGrad = true
        out.gradFn = GradFn(op: op, inputs: inputs, pullback: pullback,
                            site: state.anomalyDetection ? CreationSite.capture() : nil)
      }
    }
    var hasTangent = false
    if state.tangentsEnabled { for x in inputs where x.tangent != nil { hasTangent = true; break } }
    if hasTangent {
      let context = BackwardContext(inputs: inputs, output: out)
      state.tangentsEnabled = false
      defer { state.tangentsEnabled = true }
      out.tangent = withoutGradient { pushforward(inputs.map { $0.tangent }, context) }
    }
    if state.anomalyDetection, state.firstAnomaly == nil, !scalars.allSatisfy({ $0.isFinite }) {
      // Ops do not throw for this; the first anomaly is kept and thrown at the end of
      // `withAnomalyDetection { }` (and `backward()` does nothing while one is pending).
      state.firstAnomaly = TensorError.nonFinite(
        op: op.description, phase: "forward", location: CreationSite.capture().description, inputShapes: inputs.map(\.shape))
    }
    return out
  }

  /// Defines a differentiable op from a forward function and its VJP (and optionally its JVP),
  /// for code outside Backprop; built-in ops are `Op` values (see `CONTRIBUTING.md`).
  ///
  /// ```swift
  /// // softplus(x) = log(1 + eˣ),  d/dx = σ(x)
  /// let y = Tensor.customOp("mySoftplus", inputs: [x],
  ///   forward: { xs in (xs[0].exp() + 1).log() },
  ///   pullback: { g, ctx in [g * ctx.inputs[0].sigmoid()] })
  /// ```
  /// `forward` runs without recording; the pullback is written with tensor ops, so it is itself
  /// differentiable when `backward(createGraph: true)` is used. Without a `pushforward`, forward
  /// mode through this op stops with a message.
  public static func customOp(
    _ name: String, inputs: [Tensor], formula: String = "", forward: ([Tensor]) throws -> Tensor,
    pullback: @escaping Pullback<Scalar>, pushforward: Pushforward<Scalar>? = nil
  ) rethrows -> Tensor {
    let value = try withoutGradient { try forward(inputs.map { $0.detached() }) }
    let op = CustomOp(name: name, formula: formula, hasJVP: pushforward != nil)
    return recordNode(op, shape: value.shape, scalars: value.scalars, inputs: inputs, pullback: pullback,
      pushforward: { t, c in
        guard let pushforward else { opFailure(name, "this custom op has no forward-mode (JVP) rule; pass pushforward:") }
        return pushforward(t, c)
      })
  }
}

/// The op value of a `Tensor.customOp`: a name and a written formula; its rules are the
/// closures given to `customOp`, bound in the node.
public struct CustomOp: Op {
  public let name: String
  /// The VJP as the user wrote it (shown by `explain()`), or empty.
  public let formula: String
  let hasJVP: Bool

  public func forward<Scalar>(_ inputs: [Tensor<Scalar>]) -> (shape: [Int], scalars: [Scalar]) {
    opFailure(name, "a custom op's forward runs through Tensor.customOp")
  }
  public func vjp<Scalar>(_ g: Tensor<Scalar>, _ context: BackwardContext<Scalar>) -> [Tensor<Scalar>?] {
    opFailure(name, "a custom op's VJP is the closure bound in its node")
  }
  public func jvp<Scalar>(_ tangents: [Tensor<Scalar>?], _ context: BackwardContext<Scalar>) -> Tensor<Scalar> {
    opFailure(name, "a custom op's JVP is the closure bound in its node")
  }
  public func gradientFormula(input k: Int, _ context: FormulaContext) -> GradientFormula {
    GradientFormula(formula.isEmpty ? "VJP of \(name)" : formula, .other, .dense)
  }
}
