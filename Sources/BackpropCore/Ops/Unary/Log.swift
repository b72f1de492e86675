/// Elementwise natural logarithm.
///
/// f′(x) = 1/x, so VJP: `∂L/∂x = g / x`; JVP: `ẏ = ẋ / x`.
struct Log: KernelElementwiseOp {
  var name: String { "log" }
  let kernel = UnaryKernel.log
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> { 1 / x }
  func derivativeFormula(_ x: String) -> String { "1/\(x)" }
  // g / x directly: one op instead of forming 1/x and multiplying.
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] { [g / c.inputs[0]] }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { t[0]! / c.inputs[0] }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("δ / \(c.inputNames[0])", c.scalarOutput ? .scale : .hadamard, c.elementwise())
  }
}

extension Tensor {
  /// Elementwise natural logarithm. VJP: `g / x`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func log() -> Tensor { .apply(Log(), to: [self]) }
}
