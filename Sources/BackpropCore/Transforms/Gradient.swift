// Functional transforms: differentiate a Swift function at a point, JAX style.
// Each one works on a fresh leaf copy of the input, so the caller's tensors and `.grad`s are untouched.

/// The gradient ∇f(x) of a scalar-valued function (any one-element output).
///
/// ```swift
/// let g = gradient(of: { x in (x * x).sum() }, at: Tensor<Double>([1, 2, 3]))  // [2, 4, 6]
/// ```
public func gradient<S: TensorScalar, E: Error>(of f: (Tensor<S>) throws(E) -> Tensor<S>, at x: Tensor<S>) throws(E) -> Tensor<S> {
  try valueWithGradient(of: f, at: x).gradient
}

/// f(x) and ∇f(x) from one forward and one backward pass.
public func valueWithGradient<S: TensorScalar, E: Error>(
  of f: (Tensor<S>) throws(E) -> Tensor<S>, at x: Tensor<S>
) throws(E) -> (value: Tensor<S>, gradient: Tensor<S>) {
  let (value, grads) = try valueWithGradients(of: { (xs: [Tensor<S>]) throws(E) in try f(xs[0]) }, at: [x])
  return (value, grads[0])
}

/// f(x₁, …, xₖ) and the gradient with respect to every argument.
public func valueWithGradients<S: TensorScalar, E: Error>(
  of f: ([Tensor<S>]) throws(E) -> Tensor<S>, at xs: [Tensor<S>]
) throws(E) -> (value: Tensor<S>, gradients: [Tensor<S>]) {
  let leaves = xs.map { Tensor<S>(uncheckedShape: $0.shape, scalars: $0.scalars, requiresGrad: true) }
  let y = try withGradient { () throws(E) in try f(leaves) }
  require(y.count == 1, "gradient", "the function must return one element, got shape \(y.shape); use vjp or jacobian")
  if y.requiresGrad { y.backward() }
  return (y.detached(), leaves.map { $0.grad ?? Tensor<S>.zeros($0.shape) })
}

/// The vector–Jacobian product vᵀ·J of f at x (reverse mode: one backward pass), and f(x).
/// `cotangent` has the shape of f(x); the result has the shape of x.
public func vjp<S: TensorScalar, E: Error>(
  of f: (Tensor<S>) throws(E) -> Tensor<S>, at x: Tensor<S>, cotangent v: Tensor<S>
) throws(E) -> (value: Tensor<S>, vjp: Tensor<S>) {
  let leaf = Tensor<S>(uncheckedShape: x.shape, scalars: x.scalars, requiresGrad: true)
  let y = try withGradient { () throws(E) in try f(leaf) }
  require(v.shape == y.shape, "vjp", "the cotangent has shape \(v.shape); it must have the output's shape \(y.shape)")
  if y.requiresGrad { y.backward(gradient: v) }
  return (y.detached(), leaf.grad ?? Tensor<S>.zeros(x.shape))
}

/// The Jacobian–vector product J·v of f at x (forward mode: one pass carrying tangents), and f(x).
/// `tangent` has the shape of x; the result has the shape of f(x).
public func jvp<S: TensorScalar, E: Error>(
  of f: (Tensor<S>) throws(E) -> Tensor<S>, at x: Tensor<S>, tangent v: Tensor<S>
) throws(E) -> (value: Tensor<S>, jvp: Tensor<S>) {
  require(v.shape == x.shape, "jvp", "the tangent has shape \(v.shape); it must have the input's shape \(x.shape)")
  let input = Tensor<S>(uncheckedShape: x.shape, scalars: x.scalars)
  input.tangent = v.detached()
  let y = try withoutGradient { () throws(E) in try f(input) }
  return (y.detached(), y.tangent?.detached() ?? Tensor<S>.zeros(y.shape))
}

/// How `jacobian(of:at:mode:)` builds the matrix.
public enum JacobianMode: Sendable {
  /// Reverse mode when f has no more outputs than inputs, forward mode otherwise.
  case automatic
  /// All rows in one batched backward pass (the m unit cotangents flow back together).
  case reverse
  /// One forward-mode (JVP) pass per input element, one column each.
  case forward
}

/// The full Jacobian ∂f/∂x, of shape `f(x).shape + x.shape`.
///
/// Rows come from one batched backward pass seeded with the m unit vectors (so the m VJPs are
/// matrix–matrix products, not m matrix–vector ones) when f has no more outputs than inputs;
/// otherwise columns come from one JVP per input element — whichever needs less work.
public func jacobian<S: TensorScalar, E: Error>(
  of f: (Tensor<S>) throws(E) -> Tensor<S>, at x: Tensor<S>, mode: JacobianMode = .automatic
) throws(E) -> Tensor<S> {
  let n = x.count
  let leaf = Tensor<S>(uncheckedShape: x.shape, scalars: x.scalars, requiresGrad: true)
  let y = try withGradient { () throws(E) in try f(leaf) }
  let m = y.count
  let useReverse = mode == .reverse || (mode == .automatic && m <= n)
  if useReverse {
    guard y.requiresGrad, m > 0 else { return Tensor<S>.zeros(y.shape + x.shape) }
    y.backward(batchedGradient: Tensor<S>.identity(m).reshaped(to: [m] + y.shape))
    let rows = leaf.grad ?? Tensor<S>.zeros([m] + x.shape)
    return rows.reshaped(to: y.shape + x.shape).detached()
  }
  var values = [S](repeating: 0, count: m * n)
  for j in 0..<n {
    var direction = [S](repeating: 0, count: n); direction[j] = 1
    let column = try jvp(of: f, at: x, tangent: Tensor<S>(uncheckedShape: x.shape, scalars: direction)).jvp
    for i in 0..<m { values[i * n + j] = column.scalars[i] }
  }
  return Tensor<S>(uncheckedShape: y.shape + x.shape, scalars: values)
}

/// The Hessian ∇²f(x) of a scalar function, of shape `x.shape + x.shape`.
///
/// Reverse over reverse: one backward pass with `createGraph` gives ∇f as a differentiable
/// tensor; one batched backward pass through it, seeded with the n unit vectors, gives all n
/// rows at once.
public func hessian<S: TensorScalar, E: Error>(of f: (Tensor<S>) throws(E) -> Tensor<S>, at x: Tensor<S>) throws(E) -> Tensor<S> {
  let n = x.count
  let leaf = Tensor<S>(uncheckedShape: x.shape, scalars: x.scalars, requiresGrad: true)
  let y = try withGradient { () throws(E) in try f(leaf) }
  require(y.count == 1, "hessian", "the function must return one element, got shape \(y.shape)")
  let zero = Tensor<S>.zeros(x.shape + x.shape)
  guard y.requiresGrad else { return zero }
  y.backward(createGraph: true)
  guard let g = leaf.grad, g.requiresGrad, n > 0 else { return zero }
  leaf.grad = nil
  g.backward(batchedGradient: Tensor<S>.identity(n).reshaped(to: [n] + g.shape))
  guard let rows = leaf.grad else { return zero }
  return rows.reshaped(to: x.shape + x.shape).detached()
}
