/// Elementwise −x.
///
/// f′(x) = −1, so VJP: `∂L/∂x = −g`; JVP: `ẏ = −ẋ`.
struct Negate: KernelElementwiseOp {
  var name: String { "negate" }
  let kernel = UnaryKernel.negate
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> { Tensor<S>(repeating: -1, shape: x.shape) }
  func derivativeFormula(_ x: String) -> String { "−1" }
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] { [-g] }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { -t[0]! }
  func forwardFormula(_ names: [String]) -> String { "−\(names[0])" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("−δ", .scale, c.scalarOutput ? .row : c.elementwise())
  }
}

extension Tensor {
  /// Elementwise −x. VJP: `−g`.
  public static prefix func - (x: Tensor) -> Tensor { .apply(Negate(), to: [x]) }
}
