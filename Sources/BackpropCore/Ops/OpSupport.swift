// Shared plumbing for the ops: running a kernel into a fresh array, broadcasting two operands.

extension Tensor {
  /// Runs an elementwise kernel over this tensor's elements into a new array.
  @inline(__always)
  func mapKernel(_ kind: UnaryKernel) -> [Scalar] {
    let n = scalars.count
    return [Scalar](unsafeUninitializedCapacity: n) { buffer, initialized in
      scalars.withUnsafeBufferPointer { x in Scalar._unary(kind, x, buffer) }
      initialized = n
    }
  }

  /// A constant (non-differentiable) result of an elementwise kernel.
  func constant(_ kind: UnaryKernel) -> Tensor {
    Tensor(uncheckedShape: shape, scalars: mapKernel(kind))
  }

  /// Runs a broadcasting binary kernel; throws a shape error naming `op`.
  static func zipKernel(_ kind: BinaryKernel, _ a: Tensor, _ b: Tensor, op: String) throws -> (shape: [Int], scalars: [Scalar]) {
    guard let plan = BroadcastPlan(a.shape, b.shape) else {
      throw TensorError.shapeMismatch(op: op, lhs: a.shape, rhs: b.shape,
                                      reason: "they cannot be broadcast together (NumPy rules: trailing dimensions must be equal or 1)")
    }
    let n = plan.shape.reduce(1, *)
    let values = [Scalar](unsafeUninitializedCapacity: n) { buffer, initialized in
      a.scalars.withUnsafeBufferPointer { ap in
        b.scalars.withUnsafeBufferPointer { bp in Scalar._binary(kind, ap, bp, buffer, plan) }
      }
      initialized = n
    }
    return (plan.shape, values)
  }

  /// A constant (non-differentiable) result of a binary kernel, e.g. a comparison mask.
  static func constant(_ kind: BinaryKernel, _ a: Tensor, _ b: Tensor, op: String) throws -> Tensor {
    let (shape, values) = try zipKernel(kind, a, b, op: op)
    return Tensor(uncheckedShape: shape, scalars: values)
  }

  /// Records a unary elementwise op whose forward is one kernel.
  @inline(__always)
  func unary(_ op: String, _ kind: UnaryKernel, formula: StaticString,
             pullback: @escaping Pullback<Scalar>, pushforward: @escaping Pushforward<Scalar>) -> Tensor {
    Tensor.record(op, shape: shape, scalars: mapKernel(kind), inputs: [self], formula: formula,
                  pullback: pullback, pushforward: pushforward)
  }
}

/// `try` for rules whose shapes agree by construction (a failure there is a bug in Backprop).
@inline(__always)
func must<T>(_ body: () throws -> T) -> T {
  do { return try body() } catch { preconditionFailure("internal shape error in a derivative rule: \(error)") }
}
