/// Elementwise max(a, b) with broadcasting.
///
/// VJP: `∂L/∂a = sumToShape(g ⊙ m, a)`, `∂L/∂b = sumToShape(g ⊙ (1 − m), b)` with
/// `m = 1[a > b] + ½·1[a = b]`: ties split the gradient evenly, as PyTorch does.
/// JVP: `ẏ = m ⊙ ȧ + (1 − m) ⊙ ḃ`.
struct Maximum: BroadcastingBinaryOp {
  var name: String { "maximum" }
  let kernel = BinaryKernel.maximum
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let mask = Self.mask(c.inputs[0], c.inputs[1])
    return [c.needsGradient(0) ? c.unbroadcast(g * mask, toInput: 0) : nil,
            c.needsGradient(1) ? c.unbroadcast(g * (1 - mask), toInput: 1) : nil]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    let mask = Self.mask(c.inputs[0], c.inputs[1])
    return tangentSum(t[0].map { $0 * mask }, t[1].map { $0 * (1 - mask) }, like: c.output)
  }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    let (a, b) = (c.inputNames[0], c.inputNames[1])
    return c.times(k == 0 ? "1[\(a) ≥ \(b)]" : "1[\(a) < \(b)]", input: k)
  }

  /// `1[a > b] + ½·1[a = b]` (broadcast): the share of the gradient that goes to `a`.
  static func mask<S>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
    (Tensor.constant(.greater, a, b, op: "maximum") + Tensor.constant(.greaterEqual, a, b, op: "maximum")) * 0.5
  }
}

extension Tensor {
  /// Elementwise max(a, b) with broadcasting; ties share the gradient.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { apply(Maximum(), to: [a, b]) }

  /// Elementwise min(a, b) with broadcasting: `−max(−a, −b)`, so it shares that rule.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
    if broadcastShapes(a.shape, b.shape) == nil { broadcastFailure("minimum", a.shape, b.shape) }
    return -maximum(-a, -b)
  }
}
