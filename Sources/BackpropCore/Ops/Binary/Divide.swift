/// Elementwise a / b with NumPy broadcasting.
///
/// VJP: `∂L/∂a = sumToShape(g / b, a)`, `∂L/∂b = −sumToShape(g ⊙ y / b, b)` where y = a / b.
/// JVP: `ȧ / b − ḃ ⊙ y / b`.
struct Divide: BroadcastingBinaryOp {
  var name: String { "divide" }
  let kernel = BinaryKernel.divide
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let (b, y) = (c.inputs[1], c.output)
    return [c.needsGradient(0) ? c.unbroadcast(g / b, toInput: 0) : nil,
            c.needsGradient(1) ? c.unbroadcast(-(g * y) / b, toInput: 1) : nil]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    let (b, y) = (c.inputs[1], c.output)
    return tangentSum(t[0].map { $0 / b }, t[1].map { -($0 * y) / b }, like: c.output)
  }
  func forwardFormula(_ n: [String]) -> String { "\(n[0]) / \(n[1])" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    let (a, b) = (c.inputNames[0], c.inputNames[1])
    return k == 0
      ? GradientFormula("δ / \(b)", c.inputShapes[1].reduce(1, *) == 1 ? .scale : .hadamard, c.elementwise(0),
                        summedAxes: c.broadcastAxes(0))
      : GradientFormula("−δ ⊙ \(a) / \(b)²", .hadamard, c.elementwise(1), summedAxes: c.broadcastAxes(1))
  }
}

extension Tensor {
  /// Elementwise a / b with NumPy broadcasting. VJP: `g / b`, `−g ⊙ y / b`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func / (a: Tensor, b: Tensor) -> Tensor { apply(Divide(), to: [a, b]) }
}
