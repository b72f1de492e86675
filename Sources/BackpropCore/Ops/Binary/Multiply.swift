/// Elementwise (Hadamard) product a ⊙ b with NumPy broadcasting.
///
/// VJP: `∂L/∂a = sumToShape(g ⊙ b, a)`, `∂L/∂b = sumToShape(g ⊙ a, b)`. JVP: `ȧ ⊙ b + a ⊙ ḃ`.
/// The Jacobian of `a ⊙ b` with respect to `a` is `diag(b)`: the VJP never builds it.
struct Multiply: BroadcastingBinaryOp {
  var name: String { "multiply" }
  let kernel = BinaryKernel.multiply
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let (a, b) = (c.inputs[0], c.inputs[1])
    return [c.needsGradient(0) ? c.unbroadcast(g * b, toInput: 0) : nil,
            c.needsGradient(1) ? c.unbroadcast(g * a, toInput: 1) : nil]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    let (a, b) = (c.inputs[0], c.inputs[1])
    return tangentSum(t[0].map { $0 * b }, t[1].map { a * $0 }, like: c.output)
  }
  func forwardFormula(_ n: [String]) -> String { "\(n[0]) ⊙ \(n[1])" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    // A one-element other operand scales δ instead of multiplying elementwise.
    let other = 1 - k
    if c.inputShapes[other].reduce(1, *) == 1 && !c.scalarOutput {
      return GradientFormula("δ · \(c.inputNames[other])", .scale, c.elementwise(k), summedAxes: c.broadcastAxes(k))
    }
    return c.times(c.inputNames[other], input: k)
  }
}

extension Tensor {
  /// Elementwise (Hadamard) product a ⊙ b with NumPy broadcasting. VJP: `g ⊙ b`, `g ⊙ a`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func * (a: Tensor, b: Tensor) -> Tensor { apply(Multiply(), to: [a, b]) }

  /// The Hadamard (elementwise) product, the study note's `s ⊙ t`; the same as `a * b`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func hadamard(_ a: Tensor, _ b: Tensor) -> Tensor { a * b }
}
