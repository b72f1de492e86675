/// Elementwise a + b with NumPy broadcasting.
///
/// VJP: `∂L/∂a = sumToShape(g, a)`, `∂L/∂b = sumToShape(g, b)`. JVP: `ȧ + ḃ`.
struct Add: BroadcastingBinaryOp {
  var name: String { "add" }
  let kernel = BinaryKernel.add
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    [c.needsGradient(0) ? c.unbroadcast(g, toInput: 0) : nil, c.needsGradient(1) ? c.unbroadcast(g, toInput: 1) : nil]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { tangentSum(t[0], t[1], like: c.output) }
  func forwardFormula(_ n: [String]) -> String { "\(n[0]) + \(n[1])" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("δ", .identity, c.elementwise(k), summedAxes: c.broadcastAxes(k))
  }
}

extension Tensor {
  /// Elementwise a + b with NumPy broadcasting. VJP: `g` to each input, summed over broadcast axes.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func + (a: Tensor, b: Tensor) -> Tensor { apply(Add(), to: [a, b]) }
}

/// A binary elementwise op with NumPy broadcasting whose forward is one kernel.
protocol BroadcastingBinaryOp: Op {
  var kernel: BinaryKernel { get }
}

extension BroadcastingBinaryOp {
  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    Tensor.zipKernel(kernel, inputs[0], inputs[1], op: name)
  }
}
