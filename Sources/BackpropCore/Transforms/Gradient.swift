// Functional transforms: differentiate a Swift function at a point, JAX style.
// Each one works on a fresh leaf copy of the input, so the caller's tensors and `.grad`s are untouched.

/// The gradient ∇f(x) of a scalar-valued function (any one-element output).
///
/// ```swift
/// let g = try gradient(of: { x in try (x * x).sum() }, at: Tensor<Double>([1, 2, 3]))  // [2, 4, 6]
/// ```
public func gradient<S: TensorScalar>(of f: (Tensor<S>) throws -> Tensor<S>, at x: Tensor<S>) throws -> Tensor<S> {
  try valueWithGradient(of: f, at: x).gradient
}

/// f(x) and ∇f(x) from one forward and one backward pass.
public func valueWithGradient<S: TensorScalar>(
  of f: (Tensor<S>) throws -> Tensor<S>, at x: Tensor<S>
) throws -> (value: Tensor<S>, gradient: Tensor<S>) {
  let (value, grads) = try valueWithGradients(of: { try f($0[0]) }, at: [x])
  return (value, grads[0])
}

/// f(x₁, …, xₖ) and the gradient with respect to every argument.
public func valueWithGradients<S: TensorScalar>(
  of f: ([Tensor<S>]) throws -> Tensor<S>, at xs: [Tensor<S>]
) throws -> (value: Tensor<S>, gradients: [Tensor<S>]) {
  let leaves = xs.map { Tensor<S>(uncheckedShape: $0.shape, scalars: $0.scalars, requiresGrad: true) }
  let y = try withGradient { try f(leaves) }
  guard y.count == 1 else {
    throw TensorError.invalidArgument(op: "gradient", message: "the function must return one element, got shape \(y.shape); use vjp or jacobian")
  }
  if y.requiresGrad { try y.backward() }
  return (y.detached(), leaves.map { $0.grad ?? Tensor<S>.zeros($0.shape) })
}

/// The vector–Jacobian product vᵀ·J of f at x (reverse mode: one backward pass), and f(x).
/// `cotangent` has the shape of f(x); the result has the shape of x.
public func vjp<S: TensorScalar>(
  of f: (Tensor<S>) throws -> Tensor<S>, at x: Tensor<S>, cotangent v: Tensor<S>
) throws -> (value: Tensor<S>, vjp: Tensor<S>) {
  let leaf = Tensor<S>(uncheckedShape: x.shape, scalars: x.scalars, requiresGrad: true)
  let y = try withGradient { try f(leaf) }
  guard v.shape == y.shape else {
    throw TensorError.shapeMismatch(op: "vjp", lhs: y.shape, rhs: v.shape, reason: "the cotangent must have the output's shape")
  }
  if y.requiresGrad { try y.backward(seed: v) }
  return (y.detached(), leaf.grad ?? Tensor<S>.zeros(x.shape))
}

/// The Jacobian–vector product J·v of f at x (forward mode: one pass carrying tangents), and f(x).
/// `tangent` has the shape of x; the result has the shape of f(x).
public func jvp<S: TensorScalar>(
  of f: (Tensor<S>) throws -> Tensor<S>, at x: Tensor<S>, tangent v: Tensor<S>
) throws -> (value: Tensor<S>, jvp: Tensor<S>) {
  guard v.shape == x.shape else {
    throw TensorError.shapeMismatch(op: "jvp", lhs: x.shape, rhs: v.shape, reason: "the tangent must have the input's shape")
  }
  let input = Tensor<S>(uncheckedShape: x.shape, scalars: x.scalars)
  input.tangent = v.detached()
  let y = try withoutGradient { try f(input) }
  return (y.detached(), y.tangent?.detached() ?? Tensor<S>.zeros(y.shape))
}

/// The full Jacobian ∂f/∂x, of shape `f(x).shape + x.shape`.
///
/// Built row by row with VJPs (one backward pass per output element) when f has no more
/// outputs than inputs, else column by column with JVPs (one forward pass per input element)
/// — whichever needs fewer passes.
public func jacobian<S: TensorScalar>(of f: (Tensor<S>) throws -> Tensor<S>, at x: Tensor<S>) throws -> Tensor<S> {
  let n = x.count
  let leaf = Tensor<S>(uncheckedShape: x.shape, scalars: x.scalars, requiresGrad: true)
  let y = try withGradient { try f(leaf) }
  let m = y.count
  var values = [S](repeating: 0, count: m * n)
  if m <= n {
    guard y.requiresGrad else { return Tensor<S>(uncheckedShape: y.shape + x.shape, scalars: values) }
    for i in 0..<m {
      var seed = [S](repeating: 0, count: m); seed[i] = 1
      leaf.grad = nil
      try y.backward(seed: Tensor<S>(uncheckedShape: y.shape, scalars: seed), retainGraph: true)
      if let g = leaf.grad { for j in 0..<n { values[i * n + j] = g.scalars[j] } }
    }
  } else {
    for j in 0..<n {
      var direction = [S](repeating: 0, count: n); direction[j] = 1
      let column = try jvp(of: f, at: x, tangent: Tensor<S>(uncheckedShape: x.shape, scalars: direction)).jvp
      for i in 0..<m { values[i * n + j] = column.scalars[i] }
    }
  }
  return Tensor<S>(uncheckedShape: y.shape + x.shape, scalars: values)
}

/// The Hessian ∇²f(x) of a scalar function, of shape `x.shape + x.shape`.
///
/// Reverse over reverse: one backward pass with `createGraph` gives ∇f as a differentiable
/// tensor, then one backward pass through it per element of x gives each row.
public func hessian<S: TensorScalar>(of f: (Tensor<S>) throws -> Tensor<S>, at x: Tensor<S>) throws -> Tensor<S> {
  let n = x.count
  let leaf = Tensor<S>(uncheckedShape: x.shape, scalars: x.scalars, requiresGrad: true)
  let y = try withGradient { try f(leaf) }
  guard y.count == 1 else {
    throw TensorError.invalidArgument(op: "hessian", message: "the function must return one element, got shape \(y.shape)")
  }
  var values = [S](repeating: 0, count: n * n)
  guard y.requiresGrad else { return Tensor<S>(uncheckedShape: x.shape + x.shape, scalars: values) }
  try y.backward(createGraph: true)
  guard let g = leaf.grad else { return Tensor<S>(uncheckedShape: x.shape + x.shape, scalars: values) }
  leaf.grad = nil
  if g.requiresGrad {
    for i in 0..<n {
      var seed = [S](repeating: 0, count: n); seed[i] = 1
      leaf.grad = nil
      try g.backward(seed: Tensor<S>(uncheckedShape: g.shape, scalars: seed), retainGraph: true)
      if let row = leaf.grad { for j in 0..<n { values[i * n + j] = row.scalars[j] } }
    }
  }
  return Tensor<S>(uncheckedShape: x.shape + x.shape, scalars: values)
}
