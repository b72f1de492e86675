// Functional transforms for scalar Swift code: each records f once on a fresh `ScalarTape` and
// sweeps it — backwards for gradients and Jacobian rows, forwards for derivatives and columns.

/// f(x) and ∇f(x) for a function of n scalars, by one recording and one reverse sweep.
///
/// ```swift
/// let (y, g) = valueWithGradient(of: { v in v[0] * v[1] + v[0].sin() }, at: [1.0, 2.0])
/// // y = 2 + sin 1,  g = [2 + cos 1, 1]
/// ```
public func valueWithGradient<T: TensorScalar>(
  of f: ([Value<T>]) throws -> Value<T>, at point: [T]
) rethrows -> (value: T, gradient: [T]) {
  let tape = ScalarTape<T>()
  let inputs = tape.variables(point)
  let y = try f(inputs)
  guard let derivatives = y.backward() else { return (y.value, [T](repeating: 0, count: point.count)) }
  return (y.value, inputs.map { derivatives[$0] })
}

/// ∇f(x) for a function of n scalars (see `valueWithGradient(of:at:)`).
public func gradient<T: TensorScalar>(of f: ([Value<T>]) throws -> Value<T>, at point: [T]) rethrows -> [T] {
  try valueWithGradient(of: f, at: point).gradient
}

/// f(x) and f′(x) for a function of one scalar, by forward mode (one sweep carrying ẋ = 1).
public func valueWithDerivative<T: TensorScalar>(
  of f: (Value<T>) throws -> Value<T>, at x: T
) rethrows -> (value: T, derivative: T) {
  let tape = ScalarTape<T>()
  let input = tape.variable(x)
  let y = try f(input)
  return (y.value, tape.tangents(seeds: [(input, 1)])[y])
}

/// The m×n Jacobian ∂fᵢ/∂xⱼ of f: ℝⁿ → ℝᵐ, as rows (`result[i][j]`).
///
/// f is recorded once. Reverse mode sweeps backwards once per output (a row each); forward mode
/// sweeps forwards once per input (a column each); `.automatic` picks whichever is fewer sweeps.
public func jacobian<T: TensorScalar>(
  of f: ([Value<T>]) throws -> [Value<T>], at point: [T], mode: JacobianMode = .automatic
) rethrows -> [[T]] {
  let tape = ScalarTape<T>()
  let inputs = tape.variables(point)
  let outputs = try f(inputs)
  let (m, n) = (outputs.count, inputs.count)
  var rows = [[T]](repeating: [T](repeating: 0, count: n), count: m)
  if mode == .reverse || (mode == .automatic && m <= n) {
    for (i, y) in outputs.enumerated() where !y.isConstant {
      let derivatives = tape.backward(from: y)
      for j in 0..<n { rows[i][j] = derivatives[inputs[j]] }
    }
  } else {
    for j in 0..<n {
      let derivatives = tape.tangents(seeds: [(inputs[j], 1)])
      for i in 0..<m { rows[i][j] = derivatives[outputs[i]] }
    }
  }
  return rows
}
