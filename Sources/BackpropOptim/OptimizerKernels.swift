import BackpropCore

// The elementwise update loops of the optimizers, on raw pointers.
//
// Large parameters are split across the kernel threads (`parallelForEachChunk`, from Core); each element is updated
// exactly as in the serial loop, so results do not depend on the thread count.
//
// They are free functions with `@_specialize` for Float and Double: an optimizer is usually
// called through `any Optimizer<Float>`, where a generic method would run unspecialised
// (every `+` a witness-table call, ~20× slower). The generic entry point checks the type
// once and jumps to the specialised loop.

/// SGD (see `SGD`): `g ← ∇ + λθ; b ← first ? g : μb + (1 − τ)g; g ← nesterov ? g + μb : b; θ ← θ − ηg`.
@_specialize(where S == Float)
@_specialize(where S == Double)
func sgdKernel<S: TensorScalar>(
  _ theta: UnsafeMutablePointer<S>, _ grad: UnsafePointer<S>, _ buffer: UnsafeMutablePointer<S>?, count n: Int,
  lr: S, momentum mu: S, keep: S, weightDecay wd: S, nesterov: Bool, firstStep: Bool
) {
  parallelForEachChunk(count: n) { r in
    guard let buf = buffer else {
      if wd == 0 {
        for i in r { theta[i] -= lr * grad[i] }
      } else {
        for i in r { theta[i] -= lr * (grad[i] + wd * theta[i]) }
      }
      return
    }
    for i in r {
      var g = grad[i]
      if wd != 0 { g += wd * theta[i] }
      let b = firstStep ? g : mu * buf[i] + keep * g
      buf[i] = b
      g = nesterov ? g + mu * b : b
      theta[i] -= lr * g
    }
  }
}

/// Adam / AdamW (see `Adam`): `θ ← θ·decay; g ← ∇ + l2·θ; m ← m + (1 − β₁)(g − m);
/// v ← β₂v + (1 − β₂)g²; θ ← θ − (α·m) / (√v / c₂ + ε)`.
@_specialize(where S == Float)
@_specialize(where S == Double)
func adamKernel<S: TensorScalar>(
  _ theta: UnsafeMutablePointer<S>, _ grad: UnsafePointer<S>, _ m: UnsafeMutablePointer<S>, _ v: UnsafeMutablePointer<S>,
  count n: Int, stepSize: S, correction2: S, oneMinusBeta1: S, beta2: S, oneMinusBeta2: S, epsilon: S, l2: S, decay: S
) {
  if S.self == Float.self {
    // The same update in C, 8 elements per AVX2 step, rounding as the loop below.
    func f(_ x: S) -> Float { unsafeBitCast(x, to: Float.self) }
    nonisolated(unsafe) let (tp, gp, mp, vp) = (UnsafeMutableRawPointer(theta).assumingMemoryBound(to: Float.self),
                                                UnsafeRawPointer(grad).assumingMemoryBound(to: Float.self),
                                                UnsafeMutableRawPointer(m).assumingMemoryBound(to: Float.self),
                                                UnsafeMutableRawPointer(v).assumingMemoryBound(to: Float.self))
    let (s, c2, b1, b2, ob2, eps, l, d) = (f(stepSize), f(correction2), f(oneMinusBeta1), f(beta2), f(oneMinusBeta2),
                                          f(epsilon), f(l2), f(decay))
    parallelForEachChunk(count: n) { r in
      adamUpdateFloat(theta: tp + r.lowerBound, gradient: gp + r.lowerBound, m: mp + r.lowerBound, v: vp + r.lowerBound,
                      count: r.count, stepSize: s, correction2: c2, oneMinusBeta1: b1, beta2: b2, oneMinusBeta2: ob2,
                      epsilon: eps, l2: l, decay: d)
    }
    return
  }
  parallelForEachChunk(count: n) { r in
    for i in r {
      if decay != 1 { theta[i] *= decay }
      var g = grad[i]
      if l2 != 0 { g += l2 * theta[i] }
      m[i] += oneMinusBeta1 * (g - m[i])
      v[i] = v[i] * beta2 + oneMinusBeta2 * g * g
      let denominator = v[i].squareRoot() / correction2 + epsilon
      theta[i] -= (stepSize * m[i]) / denominator
    }
  }
}

/// RMSProp (see `RMSProp`).
@_specialize(where S == Float)
@_specialize(where S == Double)
func rmspropKernel<S: TensorScalar>(
  _ theta: UnsafeMutablePointer<S>, _ grad: UnsafePointer<S>, _ s: UnsafeMutablePointer<S>,
  _ gradientAverage: UnsafeMutablePointer<S>?, _ momentumBuffer: UnsafeMutablePointer<S>?, count n: Int,
  lr: S, alpha: S, oneMinusAlpha: S, epsilon: S, weightDecay wd: S, momentum mu: S
) {
  parallelForEachChunk(count: n) { r in
    for i in r {
      var g = grad[i]
      if wd != 0 { g += wd * theta[i] }
      s[i] = s[i] * alpha + oneMinusAlpha * g * g
      var d: S
      if let ga = gradientAverage {
        ga[i] += oneMinusAlpha * (g - ga[i])
        d = (s[i] - ga[i] * ga[i]).squareRoot()
      } else {
        d = s[i].squareRoot()
      }
      d += epsilon
      if let b = momentumBuffer {
        b[i] = b[i] * mu + g / d
        theta[i] -= lr * b[i]
      } else {
        theta[i] -= (lr * g) / d
      }
    }
  }
}

/// Σ gᵢ² in Double, and `g ← c·g` in place: the two loops of gradient clipping.
@_specialize(where S == Float)
@_specialize(where S == Double)
func sumOfSquares<S: TensorScalar>(_ x: UnsafeBufferPointer<S>) -> Double {
  var total = 0.0
  for v in x { total += Double(v) * Double(v) }
  return total
}

@_specialize(where S == Float)
@_specialize(where S == Double)
func scale<S: TensorScalar>(_ x: UnsafeMutableBufferPointer<S>, by c: S) {
  for i in x.indices { x[i] *= c }
}

/// Runs `body` with pointers to a parameter's values and gradient, and to the state buffers
/// `slots` (each created as zeros when `nil`, or left `nil` where `wanted` is false).
@inline(__always)
func withParameter<S: TensorScalar>(
  _ p: Tensor<S>, _ grad: Tensor<S>, _ a: inout [S]?, _ b: inout [S]?, wantA: Bool, wantB: Bool,
  _ body: (UnsafeMutablePointer<S>, UnsafePointer<S>, UnsafeMutablePointer<S>?, UnsafeMutablePointer<S>?) -> Void
) {
  grad.scalars.withUnsafeBufferPointer { g in
    withParameterState(p, &a, &b, wantA: wantA, wantB: wantB) { theta, pa, pb in body(theta, g.baseAddress!, pa, pb) }
  }
}

/// Runs `body` with pointers to a parameter's values and to its state buffers (each created as
/// zeros when `nil`, or left `nil` where `wanted` is false). The buffers are moved out of their
/// arrays while written, so no copy-on-write copy happens.
@inline(__always)
func withParameterState<S: TensorScalar>(
  _ p: Tensor<S>, _ a: inout [S]?, _ b: inout [S]?, wantA: Bool, wantB: Bool,
  _ body: (UnsafeMutablePointer<S>, UnsafeMutablePointer<S>?, UnsafeMutablePointer<S>?) -> Void
) {
  let n = p.count
  var bufferA = wantA ? (a.take() ?? [S](repeating: 0, count: n)) : []
  var bufferB = wantB ? (b.take() ?? [S](repeating: 0, count: n)) : []
  p.update { values in
    values.withUnsafeMutableBufferPointer { theta in
      bufferA.withUnsafeMutableBufferPointer { pa in
        bufferB.withUnsafeMutableBufferPointer { pb in
          body(theta.baseAddress!, wantA ? pa.baseAddress! : nil, wantB ? pb.baseAddress! : nil)
        }
      }
    }
  }
  if wantA { a = bufferA }
  if wantB { b = bufferB }
}
