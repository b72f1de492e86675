/// Elementwise square root.
///
/// f′(x) = 1 / (2√x) = 1 / (2y), so VJP: `∂L/∂x = g / (2y)`; JVP: `ẏ = ẋ / (2y)`.
struct Sqrt: KernelElementwiseOp {
  var name: String { "sqrt" }
  let kernel = UnaryKernel.sqrt
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> { 1 / (y * 2) }
  func derivativeFormula(_ x: String) -> String { "1/(2√\(x))" }
  // g / (2y) directly: one division instead of a reciprocal and a product.
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] { [g / (c.output * 2)] }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { t[0]! / (c.output * 2) }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("δ / (2√\(c.inputNames[0]))", c.scalarOutput ? .scale : .hadamard, c.elementwise())
  }
}

extension Tensor {
  /// Elementwise square root. VJP: `g / (2y)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func sqrt() -> Tensor { .apply(Sqrt(), to: [self]) }
}
