/// Elementwise sine. f′(x) = cos x: VJP `∂L/∂x = g ⊙ cos x`; JVP `ẏ = ẋ ⊙ cos x`.
struct Sin: KernelElementwiseOp {
  var name: String { "sin" }
  let kernel = UnaryKernel.sin
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> { x.cos() }
  func derivativeFormula(_ x: String) -> String { "cos(\(x))" }
}

/// Elementwise cosine. f′(x) = −sin x: VJP `∂L/∂x = −g ⊙ sin x`; JVP `ẏ = −ẋ ⊙ sin x`.
struct Cos: KernelElementwiseOp {
  var name: String { "cos" }
  let kernel = UnaryKernel.cos
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> { -x.sin() }
  func derivativeFormula(_ x: String) -> String { "(−sin(\(x)))" }
  // −(g ⊙ sin x): negating the product rounds exactly like g ⊙ (−sin x), in one op less.
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] { [-(g * c.inputs[0].sin())] }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { -(t[0]! * c.inputs[0].sin()) }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    let x = c.inputNames[0]
    return GradientFormula(c.scalarOutput ? "−δ · sin(\(x))" : "−δ ⊙ sin(\(x))", c.scalarOutput ? .scale : .hadamard,
                           c.elementwise())
  }
}

extension Tensor {
  /// Elementwise sine. VJP: `g ⊙ cos x`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func sin() -> Tensor { .apply(Sin(), to: [self]) }
  /// Elementwise cosine. VJP: `−g ⊙ sin x`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func cos() -> Tensor { .apply(Cos(), to: [self]) }
}
