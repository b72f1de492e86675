/// Elementwise aᵇ with NumPy broadcasting (a > 0 where b is not an integer).
///
/// VJP: `∂L/∂a = sumToShape(g ⊙ b·aᵇ⁻¹, a)`, `∂L/∂b = sumToShape(g ⊙ y ⊙ log a, b)`.
/// JVP: `ȧ ⊙ b·aᵇ⁻¹ + ḃ ⊙ y ⊙ log a`.
struct Power: BroadcastingBinaryOp {
  var name: String { "powTensor" }
  let kernel = BinaryKernel.power
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let (a, b, y) = (c.inputs[0], c.inputs[1], c.output)
    return [c.needsGradient(0) ? c.unbroadcast(g * b * Tensor.pow(a, b - 1), toInput: 0) : nil,
            c.needsGradient(1) ? c.unbroadcast(g * y * a.log(), toInput: 1) : nil]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    let (a, b, y) = (c.inputs[0], c.inputs[1], c.output)
    return tangentSum(t[0].map { $0 * b * Tensor.pow(a, b - 1) }, t[1].map { $0 * y * a.log() }, like: y)
  }
  func forwardFormula(_ n: [String]) -> String { "\(n[0])^\(n[1])" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    let (a, b) = (c.inputNames[0], c.inputNames[1])
    return c.times(k == 0 ? "\(b)·\(a)^(\(b)−1)" : "\(a)^\(b) ⊙ log \(a)", input: k)
  }
}

extension Tensor {
  /// Elementwise aᵇ with NumPy broadcasting. VJP: `g ⊙ b·aᵇ⁻¹`, `g ⊙ y ⊙ log a`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func pow(_ a: Tensor, _ b: Tensor) -> Tensor { apply(Power(), to: [a, b]) }
}
