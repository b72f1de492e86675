import Runtime
import Synchronization

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

/// One node's work during `backward()`, as reported to an observer: what came from above, the
/// local derivative, and what was sent down to each input. Traces and `explain()` are built on it.
public struct BackwardStep<Scalar: TensorScalar> {
  /// The tensor whose node ran (the op's output).
  public let output: Tensor<Scalar>
  /// The op's name ("multiply", "matmul", …).
  public let op: String
  /// A one-line formula of the VJP, e.g. "g ⊙ exp(x)".
  public let formula: String
  /// The op's inputs.
  public let inputs: [Tensor<Scalar>]
  /// ∂L/∂output: the gradient that arrived from above (already summed over all paths).
  public let upstream: Tensor<Scalar>
  /// The gradients sent to each input (`nil` where none was sent).
  public let sent: [Tensor<Scalar>?]
  /// For a one-element output: ∂output/∂input, found by running the VJP with g = 1.
  public let localDerivatives: [Tensor<Scalar>?]?
}

// Atomic: graphs are built and walked on many threads at once (parallel tests, a training loop
// beside an evaluation loop); plain globals here were data races (ThreadSanitizer), and two walks
// sharing an epoch could skip a shared leaf.
private let visitEpoch = Atomic<UInt64>(0)

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

// MARK: - Backward

extension Tensor {
  /// Backpropagates from this tensor: every tensor it depends on that requires a gradient gets
  /// ∂self/∂x **added** to its `.grad` (leaves, and non-leaves marked with `retainGrad()`).
  ///
  /// The graph is walked once in reverse topological order, iteratively (chains of millions of
  /// nodes work). Each node multiplies the gradient it received from above by its local
  /// derivative (its VJP) and sends the product to its inputs; where a tensor feeds several
  /// paths, the contributions are summed.
  ///
  /// - Parameters:
  ///   - seed: ∂L/∂self; defaults to 1 for a one-element tensor (required otherwise).
  ///   - retainGraph: keep the graph so that `backward()` can run through it again.
  ///   - createGraph: record the backward computation itself, so that gradients can be
  ///     differentiated again (Hessians, gradient penalties). Implies `retainGraph`.
  ///   - observer: called once per node, in backward order, with what the node received and
  ///     sent (for traces and explanations; costs nothing when `nil`).
  /// - Throws: `TensorError.noGradient` if nothing requires a gradient or a non-scalar has no
  ///   seed, `.graphReleased` on a second pass through a released graph, `.nonFinite` in
  ///   anomaly mode.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public func backward(seed: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false,
                       observer: ((BackwardStep<Scalar>) -> Void)? = nil) throws {
    try backward(seed: seed, batchRank: 0, retainGraph: retainGraph, createGraph: createGraph, observer: observer)
  }

  /// Runs k backward passes at once (PyTorch's `is_grads_batched`): `batchedSeed` has shape
  /// `[k] + shape`, row i being the i-th cotangent, and every leaf's `.grad` gets shape
  /// `[k] + leaf.shape`, row i being the i-th vector–Jacobian product. With the k unit vectors as
  /// seeds this is the whole Jacobian in one pass, with matrix–matrix instead of k matrix–vector
  /// products. Custom ops must use `BackwardContext.batchShape` to take part.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public func backward(batchedSeed: Tensor, retainGraph: Bool = false, createGraph: Bool = false) throws {
    guard batchedSeed.rank == rank + 1, Array(batchedSeed.shape.dropFirst()) == shape else {
      throw TensorError.shapeMismatch(op: "backward(batchedSeed:)", lhs: shape, rhs: batchedSeed.shape,
                                      reason: "the batched seed must have shape [k] + the output's shape")
    }
    try backward(seed: batchedSeed, batchRank: 1, retainGraph: retainGraph, createGraph: createGraph, observer: nil)
  }

  private func backward(seed: Tensor?, batchRank: Int, retainGraph: Bool, createGraph: Bool,
                        observer: ((BackwardStep<Scalar>) -> Void)?) throws {
    guard requiresGrad else {
      throw TensorError.noGradient(message: "backward(): tensor of shape \(shape) does not require a gradient "
        + "(no input had requiresGrad = true, or it was computed inside withoutGradient)")
    }
    let seedTensor: Tensor
    if let seed, batchRank > 0 {
      seedTensor = seed
    } else if let seed {
      guard seed.shape == shape else {
        throw TensorError.shapeMismatch(op: "backward(seed:)", lhs: shape, rhs: seed.shape,
                                        reason: "the seed must have the output's shape")
      }
      seedTensor = seed
    } else {
      guard count == 1 else {
        throw TensorError.noGradient(message: "backward(): output has shape \(shape); "
          + "pass backward(seed:) for a non-scalar output")
      }
      seedTensor = Tensor(uncheckedShape: shape, scalars: [1])
    }
    let state = ThreadState.current
    if state.anomalyDetection, let anomaly = state.firstAnomaly { throw anomaly }
    let order = topologicalOrder()
    let savedGrad = state.gradEnabled, savedFirst = state.inFirstOrderBackward
    state.gradEnabled = createGraph
    state.inFirstOrderBackward = !createGraph
    defer { state.gradEnabled = savedGrad; state.inFirstOrderBackward = savedFirst }
    let keepGraph = retainGraph || createGraph

    let batchShape = Array(seedTensor.shape.prefix(batchRank))
    pendingGrad = seedTensor
    defer { for t in order { t.pendingGrad = nil } }
    for index in stride(from: order.count - 1, through: 0, by: -1) {
      let t = order[index]
      guard let g = t.pendingGrad else { continue }
      t.pendingGrad = nil
      let isLeaf = t.gradFn == nil
      if isLeaf || t.retainsGrad { t.accumulateGrad(g, createGraph: createGraph) }
      if isLeaf { continue }
      guard let pullback = t.gradFn!.pullback else { throw TensorError.graphReleased(op: t.gradFn!.op) }
      let inputs = t.gradFn!.inputs
      var context = BackwardContext(inputs: inputs, output: t)
      if batchRank > 0 { context.batchShape = batchShape }
      let grads = try pullback(g, context)
      if let observer {
        let local = t.count == 1 ? try pullback(Tensor(uncheckedShape: t.shape, scalars: [1]), context) : nil
        observer(BackwardStep(output: t, op: t.gradFn!.op, formula: "\(t.gradFn!.formula)", inputs: inputs, upstream: g,
                              sent: grads, localDerivatives: local))
      }
      if state.anomalyDetection {
        for case let gi? in grads where !gi.scalars.allSatisfy({ $0.isFinite }) {
          throw TensorError.nonFinite(op: t.gradFn!.op, phase: "backward", location: t.gradFn!.site?.description ?? "unknown location",
                                      inputShapes: inputs.map(\.shape))
        }
      }
      // A custom op's pullback can get these wrong; built-in ones cannot. Fail loudly rather
      // than drop a gradient or accumulate one of the wrong shape.
      guard grads.count == inputs.count else {
        throw TensorError.invalidArgument(
          op: t.gradFn!.op, message: "the pullback returned \(grads.count) gradients for \(inputs.count) inputs")
      }
      for i in 0..<Swift.min(inputs.count, grads.count) {
        guard let gi = grads[i] else { continue }
        let x = inputs[i]
        guard x.requiresGrad else { continue }
        guard batchRank == 0 ? gi.shape == x.shape : gi.shape == batchShape + x.shape else {
          throw TensorError.shapeMismatch(op: t.gradFn!.op, lhs: x.shape, rhs: gi.shape,
                                          reason: "the pullback returned a gradient whose shape differs from its input's")
        }
        if let existing = x.pendingGrad {
          x.pendingGrad = try existing + gi
        } else {
          x.pendingGrad = gi
        }
      }
      if !keepGraph {
        t.gradFn!.pullback = nil
        t.gradFn!.inputs = []
      }
    }
  }

  /// Adds `g` to `.grad` (creating it on first use).
  private func accumulateGrad(_ g: Tensor, createGraph: Bool) {
    if let existing = grad {
      if createGraph {
        grad = try! existing + g  // shapes equal by construction
      } else {
        let result = existing.scalars.count == g.scalars.count ? existing : existing.detached()
        result.scalars.withUnsafeMutableBufferPointer { y in
          g.scalars.withUnsafeBufferPointer { x in Scalar._axpy(1, x, y) }
        }
        grad = result
      }
    } else {
      // A new object sharing the (copy-on-write) storage: later in-place edits of `.grad`
      // (clipping, zeroing) never reach a tensor that another node still holds.
      grad = createGraph ? g : g.detached()
    }
  }

  /// Tensors reachable from `self` through recorded inputs, in post-order (inputs before the
  /// tensors computed from them). Iterative depth-first search with visit stamps.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func topologicalOrder() -> [Tensor] {
    let epoch = visitEpoch.wrappingAdd(1, ordering: .relaxed).newValue
    var order: [Tensor] = []
    var stack: [(Tensor, Int)] = [(self, 0)]
    visitMark = epoch
    while !stack.isEmpty {
      let (t, i) = stack[stack.count - 1]
      let inputs = t.gradFn?.inputs
      if let inputs, i < inputs.count {
        stack[stack.count - 1].1 = i + 1
        let child = inputs[i]
        if child.requiresGrad && child.visitMark != epoch {
          child.visitMark = epoch
          stack.append((child, 0))
        }
      } else {
        order.append(t)
        stack.removeLast()
      }
    }
    return order
  }
}

/// Where an op was recorded: a raw backtrace, captured only in anomaly mode and symbolicated
/// only when reported. A class, so that a node pays one pointer for it, not the backtrace.
final class CreationSite: CustomStringConvertible {
  let backtrace: Backtrace?
  private init(_ backtrace: Backtrace?) { self.backtrace = backtrace }

  /// The current call stack.
  static func capture() -> CreationSite { CreationSite(try? Backtrace.capture()) }

  /// "file:line" of the first frame outside Backprop's core, i.e. the user's line that created
  /// the op (needs debug info, as in debug builds).
  var description: String {
    guard let frames = backtrace?.symbolicated()?.frames else { return "unknown location" }
    var fallback: String?
    for frame in frames {
      guard let location = frame.symbol?.sourceLocation, location.line > 0 else { continue }
      let text = "\(location.path):\(location.line)"
      if location.path.contains("/BackpropCore/") { continue }
      if location.path.hasPrefix("/opt/swift") || location.path.contains("swift/stdlib") { fallback = fallback ?? text; continue }
      return text
    }
    return fallback ?? "unknown location (build with debug info for file:line)"
  }
}
