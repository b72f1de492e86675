import BackpropKernels
import RealModule

/// The elementwise functions with a kernel of their own. Forward-only: derivatives live in `Ops/`.
public enum UnaryKernel: Sendable {
  case negate, exp, log, sqrt, sin, cos, tanh, sigmoid, relu, abs, sign, square, reciprocal
  /// 1 where x > 0, else 0 (the derivative of relu).
  case positiveMask
  /// The error function.
  case erf
  /// GELU, x·Φ(x) with Φ(x) = ½·erfc(−x/√2).
  case gelu
  /// GELU's derivative Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π).
  case geluDerivative
}

@inline(__always)
func stableSigmoid<T: TensorScalar>(_ x: T) -> T {
  // 1/(1+e^-x) overflows e^-x for very negative x; use e^x/(1+e^x) there.
  if x >= 0 { return 1 / (1 + T.exp(-x)) }
  let e = T.exp(x)
  return e / (1 + e)
}

/// `y = f(x)` elementwise; large tensors are split across the kernel threads (`Parallel`).
func unaryLoop<T: TensorScalar>(_ kind: UnaryKernel, _ x: UnsafeBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>) {
  guard x.count > 0, let xp = x.baseAddress, let yp = y.baseAddress else { return }
  // A libm call per element (≈ 10 ns) is worth splitting sooner than the vectorised Float
  // exp/tanh/sigmoid (≈ 0.4 ns) or a one-instruction op.
  let libm = kind.isTranscendental && !(T.self == Float.self && kind.vectorisedFloatFunction != nil)
  // The compute settings are per thread: read the instruction set here, not on the pool's threads.
  let isa = Gemm.kernelISA
  Parallel.forEachChunk(count: x.count, minimumChunk: libm ? Parallel.libmOpChunk : Parallel.cheapOpChunk) { r in
    unaryRange(kind, xp + r.lowerBound, yp + r.lowerBound, r.count, isa: isa)
  }
}

extension UnaryKernel {
  /// The vectorised `Float` function for this kernel, if there is one.
  var vectorisedFloatFunction: Transcendental.Function? {
    switch self {
    case .exp: return .exp
    case .tanh: return .tanh
    case .sigmoid: return .sigmoid
    case .erf: return .erf
    case .gelu: return .gelu
    case .geluDerivative: return .geluDerivative
    default: return nil
    }
  }

  /// Whether the generic loop calls libm for each element.
  var isTranscendental: Bool {
    switch self {
    case .exp, .log, .sin, .cos, .tanh, .sigmoid, .erf, .gelu, .geluDerivative: return true
    case .negate, .sqrt, .relu, .abs, .sign, .square, .reciprocal, .positiveMask: return false
    }
  }
}

/// `y[i] = f(x[i])` for `i < n`.
@inline(__always)
func unaryRange<T: TensorScalar>(
  _ kind: UnaryKernel, _ xp: UnsafePointer<T>, _ yp: UnsafeMutablePointer<T>, _ n: Int, isa: KernelISA
) {
  // Float exp/tanh/sigmoid: the vectorised versions (≤ 2–3 ulp) instead of a libm call each.
  if T.self == Float.self, let function = kind.vectorisedFloatFunction {
    Transcendental.apply(function, UnsafeRawPointer(xp).assumingMemoryBound(to: Float.self),
                         UnsafeMutableRawPointer(yp).assumingMemoryBound(to: Float.self), count: n, isa: isa)
    return
  }
  switch kind {
  case .negate: for i in 0..<n { yp[i] = -xp[i] }
  case .exp: for i in 0..<n { yp[i] = T.exp(xp[i]) }
  case .log: for i in 0..<n { yp[i] = T.log(xp[i]) }
  case .sqrt: for i in 0..<n { yp[i] = xp[i].squareRoot() }
  case .sin: for i in 0..<n { yp[i] = T.sin(xp[i]) }
  case .cos: for i in 0..<n { yp[i] = T.cos(xp[i]) }
  case .tanh: for i in 0..<n { yp[i] = T.tanh(xp[i]) }
  case .sigmoid: for i in 0..<n { yp[i] = stableSigmoid(xp[i]) }
  case .relu: for i in 0..<n { let v = xp[i]; yp[i] = v > 0 || v.isNaN ? v : 0 }  // NaN stays NaN, as in PyTorch
  case .abs: for i in 0..<n { yp[i] = Swift.abs(xp[i]) }
  case .sign: for i in 0..<n { let v = xp[i]; yp[i] = v > 0 ? 1 : (v < 0 ? -1 : 0) }
  case .square: for i in 0..<n { yp[i] = xp[i] * xp[i] }
  case .reciprocal: for i in 0..<n { yp[i] = 1 / xp[i] }
  case .positiveMask: for i in 0..<n { yp[i] = xp[i] > 0 ? 1 : 0 }
  case .erf: for i in 0..<n { yp[i] = T.erf(xp[i]) }
  case .gelu: for i in 0..<n { let v = xp[i]; yp[i] = v * T.erfc(-v * T(0.5.squareRoot())) / 2 }
  case .geluDerivative:
    let c = T(1 / (2 * Double.pi).squareRoot())
    for i in 0..<n { let v = xp[i]; yp[i] = T.erfc(-v * T(0.5.squareRoot())) / 2 + v * c * T.exp(-v * v / 2) }
  }
}

func axpyLoop<T: TensorScalar>(_ alpha: T, _ x: UnsafeBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>) {
  guard let xp = x.baseAddress, let yp = y.baseAddress else { return }
  for i in 0..<min(x.count, y.count) { yp[i] += alpha * xp[i] }
}
