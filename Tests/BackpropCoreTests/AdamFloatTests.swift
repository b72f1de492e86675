import BackpropCore
import BackpropKernels
import Testing
import _BackpropTestSupport

// The C Adam/AdamW update (`OptimizerUpdates.adam`, used by `Adam` for Float) against the
// scalar loop it replaces, bit for bit, on the portable and AVX2 paths, with and without
// decoupled decay and L2, on a length that leaves a vector tail.

@Suite struct AdamFloatTests {
  /// The loop of `adamKernel` (BackpropOptim), one element at a time.
  static func reference(_ theta: inout [Float], _ grad: [Float], _ m: inout [Float], _ v: inout [Float], stepSize: Float,
                        correction2: Float, oneMinusBeta1: Float, beta2: Float, oneMinusBeta2: Float, epsilon: Float,
                        l2: Float, decay: Float) {
    for i in theta.indices {
      if decay != 1 { theta[i] *= decay }
      var g = grad[i]
      if l2 != 0 { g += l2 * theta[i] }
      m[i] += oneMinusBeta1 * (g - m[i])
      v[i] = v[i] * beta2 + oneMinusBeta2 * g * g
      let denominator = v[i].squareRoot() / correction2 + epsilon
      theta[i] -= (stepSize * m[i]) / denominator
    }
  }

  @Test(arguments: [(Float(0.999995), Float(0)), (Float(1), Float(0.01)), (Float(1), Float(0))])
  func matchesTheScalarLoopBitForBit(_ c: (decay: Float, l2: Float)) {
    let n = 37
    var g = SeededGenerator(seed: 12)
    func values(_ scale: Float) -> [Float] { (0..<n).map { _ in scale * (Float(g.next() % 20_001) / 10_000 - 1) } }
    let theta0 = values(1), grad = values(0.1), m0 = values(0.01), v0 = values(0.001).map { abs($0) }
    let k = (stepSize: Float(1e-3) / 0.1, correction2: Float(0.0447), b1: Float(0.1), b2: Float(0.999), ob2: Float(0.001),
             eps: Float(1e-8))
    var (rt, rm, rv) = (theta0, m0, v0)
    Self.reference(&rt, grad, &rm, &rv, stepSize: k.stepSize, correction2: k.correction2, oneMinusBeta1: k.b1, beta2: k.b2,
                   oneMinusBeta2: k.ob2, epsilon: k.eps, l2: c.l2, decay: c.decay)
    for isa in [KernelISA.portable, .avx2] where isa.isSupported {
      var (t, m, v) = (theta0, m0, v0)
      OptimizerUpdates.adam(theta: &t, gradient: grad, m: &m, v: &v, count: n, stepSize: k.stepSize, correction2: k.correction2,
                            oneMinusBeta1: k.b1, beta2: k.b2, oneMinusBeta2: k.ob2, epsilon: k.eps, l2: c.l2, decay: c.decay,
                            isa: isa)
      #expect(t == rt && m == rm && v == rv, "\(isa) decay \(c.decay) l2 \(c.l2)")
    }
  }
}
