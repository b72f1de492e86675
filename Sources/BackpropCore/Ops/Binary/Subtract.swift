/// Elementwise a − b with NumPy broadcasting.
///
/// VJP: `∂L/∂a = sumToShape(g, a)`, `∂L/∂b = −sumToShape(g, b)`. JVP: `ȧ − ḃ`.
struct Subtract: BroadcastingBinaryOp {
  var name: String { "subtract" }
  let kernel = BinaryKernel.subtract
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    [c.needsGradient(0) ? c.unbroadcast(g, toInput: 0) : nil, c.needsGradient(1) ? -c.unbroadcast(g, toInput: 1) : nil]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { tangentSum(t[0], t[1].map { -$0 }, like: c.output) }
  func forwardFormula(_ n: [String]) -> String { "\(n[0]) − \(n[1])" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula(k == 0 ? "δ" : "−δ", k == 0 ? .identity : .scale, c.elementwise(k), summedAxes: c.broadcastAxes(k))
  }
}

extension Tensor {
  /// Elementwise a − b with NumPy broadcasting. VJP: `g`, `−g`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func - (a: Tensor, b: Tensor) -> Tensor { apply(Subtract(), to: [a, b]) }
}
