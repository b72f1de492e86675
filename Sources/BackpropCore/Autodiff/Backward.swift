import Synchronization

/// One node's work during `backward()`, as reported to an observer: what came from above, the
/// local derivative, and what was sent down to each input. Traces and `explain()` are built on it.
public struct BackwardStep<Scalar: TensorScalar> {
  /// The tensor whose node ran (the op's output).
  public let output: Tensor<Scalar>
  /// The op value that made the output, with its parameters (`op.name` is "multiply", "matmul"…).
  public let op: any Op
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
  ///   - gradient: ∂L/∂self (PyTorch's `gradient=`); defaults to 1 for a one-element tensor
  ///     (required otherwise).
  ///   - retainGraph: keep the graph so that `backward()` can run through it again.
  ///   - createGraph: record the backward computation itself, so that gradients can be
  ///     differentiated again (Hessians, gradient penalties). Implies `retainGraph`.
  ///   - observer: called once per node, in backward order, with what the node received and
  ///     sent (for traces and explanations; costs nothing when `nil`).
  ///
  /// Misuse stops the program with a message, as PyTorch raises: calling it on a tensor that
  /// does not require a gradient, a non-scalar without `gradient`, a gradient of the wrong
  /// shape, or a second pass through a released graph. In anomaly mode a NaN/∞ gradient stops
  /// the pass and is thrown at the end of `withAnomalyDetection { }`.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public func backward(gradient: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false,
                       observer: ((BackwardStep<Scalar>) -> Void)? = nil) {
    backward(seed: gradient, batchRank: 0, retainGraph: retainGraph, createGraph: createGraph, observer: observer)
  }

  /// Runs k backward passes at once (PyTorch's `is_grads_batched`): `batchedSeed` has shape
  /// `[k] + shape`, row i being the i-th cotangent, and every leaf's `.grad` gets shape
  /// `[k] + leaf.shape`, row i being the i-th vector–Jacobian product. With the k unit vectors as
  /// seeds this is the whole Jacobian in one pass, with matrix–matrix instead of k matrix–vector
  /// products. Custom ops must use `BackwardContext.batchShape` to take part.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public func backward(batchedGradient: Tensor, retainGraph: Bool = false, createGraph: Bool = false) {
    require(batchedGradient.rank == rank + 1 && Array(batchedGradient.shape.dropFirst()) == shape,
            "backward(batchedGradient:)",
            "the batched gradient has shape \(batchedGradient.shape); it must be [k] + the output's shape \(shape)")
    backward(seed: batchedGradient, batchRank: 1, retainGraph: retainGraph, createGraph: createGraph, observer: nil)
  }

  private func backward(seed: Tensor?, batchRank: Int, retainGraph: Bool, createGraph: Bool,
                        observer: ((BackwardStep<Scalar>) -> Void)?) {
    require(requiresGrad, "backward()", "the tensor of shape \(shape) does not require a gradient "
      + "(no input had requiresGrad = true, or it was computed inside withoutGradient)")
    let seedTensor: Tensor
    if let seed, batchRank > 0 {
      seedTensor = seed
    } else if let seed {
      require(seed.shape == shape, "backward(gradient:)",
              "the gradient has shape \(seed.shape); it must have the output's shape \(shape)")
      seedTensor = seed
    } else {
      require(count == 1, "backward()", "the output has shape \(shape); pass backward(gradient:) for a non-scalar output")
      seedTensor = Tensor(uncheckedShape: shape, scalars: [1])
    }
    let state = ThreadState.current
    if state.anomalyDetection, state.firstAnomaly != nil { return }
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
      let node = t.gradFn
      if node == nil || t.retainsGrad { t.accumulateGrad(g, createGraph: createGraph) }
      guard let node else {
        // Every consumer of t came later in `order`, so all of its contributions are summed.
        t.gradientReadyHook?(t)
        continue
      }
      let op = node.op
      guard let pullback = node.pullback else {
        opFailure("backward()", "second pass through '\(op.name)': its graph was already released. "
          + "Pass retainGraph: true to the first backward() to keep it.")
      }
      let inputs = node.inputs
      var context = BackwardContext(inputs: inputs, output: t)
      if batchRank > 0 { context.batchShape = batchShape }
      let grads = pullback(g, context)
      if let observer {
        let local = t.count == 1 ? pullback(Tensor(uncheckedShape: t.shape, scalars: [1]), context) : nil
        observer(BackwardStep(output: t, op: op, inputs: inputs, upstream: g, sent: grads, localDerivatives: local))
      }
      if state.anomalyDetection, grads.contains(where: { $0.map { !$0.scalars.allSatisfy(\.isFinite) } ?? false }) {
        state.firstAnomaly = TensorError.nonFinite(
          op: op.description, phase: "backward", location: node.site?.description ?? "unknown location",
          inputShapes: inputs.map(\.shape))
        return
      }
      // A custom op's pullback can get these wrong; built-in ones cannot. Fail loudly rather
      // than drop a gradient or accumulate one of the wrong shape.
      require(grads.count == inputs.count, op.name,
              "the pullback returned \(grads.count) gradients for \(inputs.count) inputs")
      for i in 0..<inputs.count {
        guard let gi = grads[i] else { continue }
        let x = inputs[i]
        guard x.requiresGrad else { continue }
        require(batchRank == 0 ? gi.shape == x.shape : gi.shape == batchShape + x.shape, op.name,
                "the pullback returned a gradient of shape \(gi.shape) for input \(i) of shape \(x.shape)")
        if let existing = x.pendingGrad {
          x.pendingGrad = existing + gi
        } else {
          x.pendingGrad = gi
        }
      }
      if !keepGraph { node.release() }
    }
  }

  /// Adds `g` to `.grad` (creating it on first use).
  private func accumulateGrad(_ g: Tensor, createGraph: Bool) {
    if let existing = grad {
      if createGraph {
        grad = existing + g
      } else {
        let result = existing.scalars.count == g.scalars.count ? existing : existing.detached()
        result.scalars.withUnsafeMutableBufferPointer { y in
          g.scalars.withUnsafeBufferPointer { x in Scalar.axpy(1, x, y) }
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
