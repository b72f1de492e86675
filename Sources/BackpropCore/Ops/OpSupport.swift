// Shared plumbing for the ops: running a kernel into a fresh array, broadcasting two operands.

extension Tensor {
  /// Runs an elementwise kernel over this tensor's elements into a new array.
  @inline(__always)
  func mapKernel(_ kind: UnaryKernel) -> [Scalar] {
    let n = scalars.count
    return [Scalar](unsafeUninitializedCapacity: n) { buffer, initialized in
      scalars.withUnsafeBufferPointer { x in Scalar.unaryKernel(kind, x, buffer) }
      initialized = n
    }
  }

  /// A constant (non-differentiable) result of an elementwise kernel.
  func constant(_ kind: UnaryKernel) -> Tensor {
    Tensor(uncheckedShape: shape, scalars: mapKernel(kind))
  }

  /// Runs a broadcasting binary kernel; stops with a shape message naming `op` when the shapes
  /// do not broadcast.
  static func zipKernel(_ kind: BinaryKernel, _ a: Tensor, _ b: Tensor, op: String) -> (shape: [Int], scalars: [Scalar]) {
    guard let plan = BroadcastPlan(a.shape, b.shape) else { broadcastFailure(op, a.shape, b.shape) }
    let n = plan.shape.reduce(1, *)
    let values = [Scalar](unsafeUninitializedCapacity: n) { buffer, initialized in
      a.scalars.withUnsafeBufferPointer { ap in
        b.scalars.withUnsafeBufferPointer { bp in Scalar.binaryKernel(kind, ap, bp, buffer, plan) }
      }
      initialized = n
    }
    return (plan.shape, values)
  }

  /// A constant (non-differentiable) result of a binary kernel, e.g. a comparison mask.
  static func constant(_ kind: BinaryKernel, _ a: Tensor, _ b: Tensor, op: String) -> Tensor {
    let (shape, values) = zipKernel(kind, a, b, op: op)
    return Tensor(uncheckedShape: shape, scalars: values)
  }
}

/// Stops with the message for two shapes that do not broadcast.
func broadcastFailure(_ op: String, _ a: [Int], _ b: [Int]) -> Never {
  opFailure(op, "shapes \(a) and \(b) cannot be broadcast together (NumPy rules: trailing dimensions must be equal or 1)")
}

/// ȧ + ḃ where either may be absent (zero), broadcast to the output's shape.
func tangentSum<S>(_ a: Tensor<S>?, _ b: Tensor<S>?, like y: Tensor<S>) -> Tensor<S> {
  switch (a, b) {
  case let (a?, b?): return (a + b).broadcast(to: y.shape)
  case let (a?, nil): return a.broadcast(to: y.shape)
  case let (nil, b?): return b.broadcast(to: y.shape)
  default: return Tensor<S>.zeros(y.shape)
  }
}

/// An elementwise op of one input whose forward is one kernel.
protocol KernelElementwiseOp: ElementwiseOp {
  var kernel: UnaryKernel { get }
}

extension KernelElementwiseOp {
  func forward<Scalar>(_ inputs: [Tensor<Scalar>]) -> (shape: [Int], scalars: [Scalar]) {
    (inputs[0].shape, inputs[0].mapKernel(kernel))
  }
}

/// `t`, or a leaf copy of it that requires a gradient: for the inputs of an inner op's
/// `BackwardContext` built inside a VJP. In a first-order (e.g. batched) backward nothing is
/// recorded, so tensors computed from the op's inputs do not require gradients, and the inner
/// VJP (which asks `needsGradient`) would return none; with `createGraph` they already do and
/// stay connected to the graph.
func gradientFlagged<S>(_ t: Tensor<S>) -> Tensor<S> {
  t.requiresGrad ? t : Tensor(uncheckedShape: t.shape, scalars: t.scalars, requiresGrad: true)
}
