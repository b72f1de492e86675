/// Elementwise selection `y = c ? a : b` on tensors of one shape (the public `where` broadcasts
/// first). The condition is a constant: nonzero selects `a`.
///
/// VJP: `∂L/∂a = where(c, g, 0)`, `∂L/∂b = where(c, 0, g)`, none for `c`.
/// JVP: `ẏ = where(c, ȧ, ḃ)`. Unlike `c ⊙ a + (1 − c) ⊙ b`, an infinite value in the branch not
/// taken (masked fill with −∞) does not turn into NaN.
struct Where: Op {
  var name: String { "where" }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let (c, a, b) = (inputs[0], inputs[1], inputs[2])
    require(c.shape == a.shape && a.shape == b.shape, "where",
            "condition \(c.shape), a \(a.shape) and b \(b.shape) must have one shape after broadcasting")
    var y = b.scalars
    for i in y.indices where c.scalars[i] != 0 { y[i] = a.scalars[i] }
    return (a.shape, y)
  }
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let cond = c.inputs[0], zero = Tensor<S>(0)
    return [nil,
            c.needsGradient(1) ? Tensor.where(cond, g, zero) : nil,
            c.needsGradient(2) ? Tensor.where(cond, zero, g) : nil]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    let zero = Tensor<S>(0)
    return Tensor.where(c.inputs[0], t[1] ?? zero, t[2] ?? zero)
  }
  func forwardFormula(_ n: [String]) -> String { "\(n[0]) ? \(n[1]) : \(n[2])" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    switch k {
    case 0: return GradientFormula("none (the condition is a constant)", .other, .selection)
    case 1: return GradientFormula("δ where \(c.inputNames[0]), else 0", .hadamard, .diagonal)
    default: return GradientFormula("δ where not \(c.inputNames[0]), else 0", .hadamard, .diagonal)
    }
  }
}

extension Tensor {
  /// `a` where `condition` is nonzero, else `b`, elementwise with NumPy broadcasting of all
  /// three (PyTorch's `torch.where`). The condition gets no gradient.
  ///
  /// VJP: `∂L/∂a = where(c, g, 0)`, `∂L/∂b = where(c, 0, g)` (summed back over broadcast axes).
  public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    guard let ab = BroadcastPlan(a.shape, b.shape), let all = BroadcastPlan(condition.shape, ab.shape) else {
      opFailure("where", "condition \(condition.shape), a \(a.shape) and b \(b.shape) cannot be broadcast together")
    }
    let shape = all.shape
    let c = condition.shape == shape ? condition.detached()
      : Tensor(uncheckedShape: shape, scalars: condition.detached().broadcast(to: shape).scalars)
    return apply(Where(), to: [c, a.shape == shape ? a : a.broadcast(to: shape),
                               b.shape == shape ? b : b.broadcast(to: shape)])
  }

  /// `value` where `mask` is nonzero, else `self` (PyTorch's `masked_fill`); `mask` broadcasts
  /// to this shape. VJP: `where(mask, 0, g)`.
  public func maskedFill(_ mask: Tensor, with value: Scalar) -> Tensor {
    guard let plan = BroadcastPlan(mask.shape, shape), plan.shape == shape else {
      opFailure("maskedFill", "mask \(mask.shape) does not broadcast to \(shape)")
    }
    return Tensor.where(mask, Tensor(value), self)
  }
}
