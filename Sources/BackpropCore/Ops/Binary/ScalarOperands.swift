// Arithmetic with a plain number c. The number is not made into a tensor node: each op records
// one input and keeps c as its parameter, which halves the nodes of scalar graphs
// (micrograd-style code like `x * 1.0001 + 0.0001`).

/// y = x + c, x − c, c − x, x · c, x / c or c / x for a constant number c (the parameter).
///
/// f′(x) = 1, 1, −1, c, 1/c, −c/x² = −y/x; VJP: `g ⊙ f′(x)`, JVP: `ẋ ⊙ f′(x)`.
struct ScalarOperation: ElementwiseOp {
  enum Kind: String { case add, subtractFrom, multiply, divide, divideInto }
  let kind: Kind
  /// The number c, in Double whatever the tensor's precision (Float converts back exactly).
  let number: Double

  var name: String {
    switch kind {
    case .add: return "addScalar"
    case .subtractFrom: return "scalarSubtract"
    case .multiply: return "multiplyScalar"
    case .divide: return "divideScalar"
    case .divideInto: return "scalarDivide"
    }
  }
  var parameters: [(name: String, value: String)] { [("c", formatExponent(number))] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0], c = S(number)
    switch kind {
    case .add: return (x.shape, x.scalarKernel(.add, c, numberFirst: false))
    case .subtractFrom: return (x.shape, x.scalarKernel(.subtract, c, numberFirst: true))
    case .multiply: return (x.shape, x.scalarKernel(.multiply, c, numberFirst: false))
    case .divide: return (x.shape, x.scalarKernel(.divide, c, numberFirst: false))
    case .divideInto: return (x.shape, x.scalarKernel(.divide, c, numberFirst: true))
    }
  }
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> {
    switch kind {
    case .add: return Tensor(repeating: 1, shape: x.shape)
    case .subtractFrom: return Tensor(repeating: -1, shape: x.shape)
    case .multiply: return Tensor(repeating: S(number), shape: x.shape)
    case .divide: return Tensor(repeating: 1 / S(number), shape: x.shape)
    case .divideInto: return -y / x
    }
  }
  // The rules below are f′ applied without materialising it (one op, same rounding as before).
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] { [apply(g, c)] }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { apply(t[0]!, c) }
  private func apply<S>(_ v: Tensor<S>, _ c: BackwardContext<S>) -> Tensor<S> {
    switch kind {
    case .add: return v
    case .subtractFrom: return -v
    case .multiply: return v * S(number)
    case .divide: return v / S(number)
    case .divideInto: return -(v * c.output) / c.inputs[0]
    }
  }

  func derivativeFormula(_ x: String) -> String {
    let c = formatExponent(number)
    switch kind {
    case .add: return "1"
    case .subtractFrom: return "(−1)"
    case .multiply: return c
    case .divide: return "1/\(c)"
    case .divideInto: return "(−\(c)/\(x)²)"
    }
  }
  func forwardFormula(_ n: [String]) -> String {
    let c = formatExponent(number)
    switch kind {
    case .add: return "\(n[0]) + \(c)"
    case .subtractFrom: return "\(c) − \(n[0])"
    case .multiply: return "\(n[0]) · \(c)"
    case .divide: return "\(n[0]) / \(c)"
    case .divideInto: return "\(c) / \(n[0])"
    }
  }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    switch kind {
    case .add: return GradientFormula("δ", .identity, c.scalarOutput ? .row : .diagonal)
    case .subtractFrom: return GradientFormula("−δ", .scale, c.scalarOutput ? .row : .diagonal)
    case .multiply, .divide:
      return GradientFormula(kind == .multiply ? "δ · \(formatExponent(number))" : "δ / \(formatExponent(number))",
                             .scale, c.scalarOutput ? .row : .diagonal)
    case .divideInto: return c.times(derivativeFormula(c.inputNames[0]))
    }
  }
}

extension Tensor {
  /// Runs a binary kernel with a number on one side (no broadcasting plan to build).
  @inline(__always)
  func scalarKernel(_ kind: BinaryKernel, _ c: Scalar, numberFirst: Bool) -> [Scalar] {
    let n = count
    let plan = BroadcastPlan(scalarOperandWith: shape, numberFirst: numberFirst)
    let number = [c]
    return [Scalar](unsafeUninitializedCapacity: n) { buffer, initialized in
      scalars.withUnsafeBufferPointer { x in
        number.withUnsafeBufferPointer { s in
          if numberFirst { Scalar.binaryKernel(kind, s, x, buffer, plan) } else { Scalar.binaryKernel(kind, x, s, buffer, plan) }
        }
      }
      initialized = n
    }
  }

  /// x + c. VJP: `g`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func + (x: Tensor, c: Scalar) -> Tensor { apply(ScalarOperation(kind: .add, number: Double(c)), to: [x]) }

  /// c + x, the same op as x + c.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func + (c: Scalar, x: Tensor) -> Tensor { x + c }

  /// x − c, recorded as x + (−c).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func - (x: Tensor, c: Scalar) -> Tensor { x + (-c) }

  /// c − x. VJP: `−g`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func - (c: Scalar, x: Tensor) -> Tensor {
    apply(ScalarOperation(kind: .subtractFrom, number: Double(c)), to: [x])
  }

  /// x · c. VJP: `g · c`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func * (x: Tensor, c: Scalar) -> Tensor { apply(ScalarOperation(kind: .multiply, number: Double(c)), to: [x]) }

  /// c · x, the same op as x · c.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func * (c: Scalar, x: Tensor) -> Tensor { x * c }

  /// x / c. VJP: `g / c`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func / (x: Tensor, c: Scalar) -> Tensor { apply(ScalarOperation(kind: .divide, number: Double(c)), to: [x]) }

  /// c / x. VJP: `−g ⊙ y / x` (y = c / x).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func / (c: Scalar, x: Tensor) -> Tensor {
    apply(ScalarOperation(kind: .divideInto, number: Double(c)), to: [x])
  }
}
