import BackpropKernels
import Foundation
import Testing

/// The vectorised float exp / tanh / sigmoid / erf / GELU against correctly rounded references
/// (computed in Double and rounded once), at every instruction set this CPU runs.
@Suite("Transcendental: vectorised float exp, tanh, sigmoid, erf, GELU")
struct TranscendentalTests {
  /// Floats in the order of the real line, so that the difference is the distance in ulps.
  static func ordered(_ x: Float) -> Int64 {
    let bits = Int64(Int32(bitPattern: x.bitPattern))
    return bits < 0 ? Int64(Int32.min) - bits : bits
  }

  static func reference(_ function: Transcendental.Function, _ x: Float) -> Float {
    let d = Double(x)
    switch function {
    case .exp: return Float(Foundation.exp(d))
    case .tanh: return Float(Foundation.tanh(d))
    case .sigmoid: return Float(1 / (1 + Foundation.exp(-d)))
    case .erf: return Float(Foundation.erf(d))
    case .gelu: return Float(d * Foundation.erfc(-d / 2.0.squareRoot()) / 2)
    case .geluDerivative: return Float(Foundation.erfc(-d / 2.0.squareRoot()) / 2 + d * Foundation.exp(-d * d / 2) / (2 * Double.pi).squareRoot())
    }
  }

  /// Every 4,099th float bit pattern (≈ 1,050,000 values over the whole range, NaNs and
  /// infinities included), a dense sweep of [−12, 12], and the special values.
  static let inputs: [Float] = {
    var values: [Float] = []
    var bits: UInt64 = 0
    while bits <= UInt64(UInt32.max) { values.append(Float(bitPattern: UInt32(bits))); bits += 4_099 }
    for i in 0...240_000 { values.append(Float(-12 + 24 * Double(i) / 240_000)) }
    values += [0, -0, .infinity, -.infinity, .nan, 88.72283, 88.72284, 89, -87.33654, -88, -100, -103.9, -104, -150,
               0.625, -0.625, 0.62499, 9, -9, 9.0001, 1e-30, -1e-30, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
    return values
  }()

  /// GELU's derivative crosses zero near x = −0.75, where ulps mean nothing: it is checked
  /// against an absolute bound below instead.
  @Test(arguments: Transcendental.Function.allCases.filter { $0 != .geluDerivative })
  func withinUlpsOfCorrectlyRounded(function: Transcendental.Function) {
    // GELU: up to 12 ulp (8e-7 relative) where Φ(x) switches to the erfc form at x = −√2, the
    // rounding of u = 1/(1 + |z|/2) amplified by the fit; and a few subnormal ulps below
    // x ≈ −13. PyTorch's own ½x(1 + erf(x/√2)) is ~6 ulp at −√2 and loses every digit below −5.
    let limit: Int64 = function == .gelu ? 16 : function == .sigmoid ? 3 : 2
    let x = Self.inputs
    for isa in KernelISA.allCases where isa.isSupported {
      var y = [Float](repeating: 0, count: x.count)
      x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { Transcendental.apply(function, xp.baseAddress!, $0.baseAddress!, count: x.count, isa: isa) }
      }
      var worst: (ulps: Int64, x: Float, got: Float, want: Float) = (0, 0, 0, 0)
      var specialFailures: [String] = []
      for (xi, yi) in zip(x, y) {
        let want = Self.reference(function, xi)
        if want.isNaN || yi.isNaN {
          if want.isNaN != yi.isNaN { specialFailures.append("f(\(xi)) = \(yi), want \(want)") }
          continue
        }
        if want.isInfinite || yi.isInfinite || want == 0 || yi == 0 {
          // Overflow, underflow, ±0: the exact value, sign included (tanh(−0) = −0).
          if yi.bitPattern != want.bitPattern && !(want == 0 && yi == 0 && function != .tanh) {
            if Swift.abs(Self.ordered(yi) - Self.ordered(want)) > limit { specialFailures.append("f(\(xi)) = \(yi), want \(want)") }
          }
          continue
        }
        let ulps = Swift.abs(Self.ordered(yi) - Self.ordered(want))
        if ulps > worst.ulps { worst = (ulps, xi, yi, want) }
      }
      #expect(worst.ulps <= limit, "\(function) \(isa): \(worst.ulps) ulp at x = \(worst.x): \(worst.got) vs \(worst.want)")
      #expect(specialFailures.isEmpty, "\(function) \(isa): \(specialFailures.prefix(5))")
    }
  }

  /// Φ(x) + x·φ(x) ∈ [−0.17, 1.13]: within 2·2⁻²⁴ absolute of the correctly rounded value, and
  /// NaN exactly where the reference is (x = ±∞ gives ∞·0, NaN, in both).
  @Test func geluDerivativeWithinAbsoluteBound() {
    let x = Self.inputs
    for isa in KernelISA.allCases where isa.isSupported {
      var y = [Float](repeating: 0, count: x.count)
      x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { Transcendental.apply(.geluDerivative, xp.baseAddress!, $0.baseAddress!, count: x.count, isa: isa) }
      }
      var worst: (error: Float, x: Float) = (0, 0)
      var nanMismatches: [Float] = []
      for (xi, yi) in zip(x, y) {
        let want = Self.reference(.geluDerivative, xi)
        if want.isNaN || yi.isNaN { if want.isNaN != yi.isNaN { nanMismatches.append(xi) }; continue }
        let error = Swift.abs(yi - want) / Swift.max(1, Swift.abs(want))
        if error > worst.error { worst = (error, xi) }
      }
      #expect(worst.error <= 2 * Float.ulpOfOne / 2, "\(isa): error \(worst.error) at x = \(worst.x)")
      #expect(nanMismatches.isEmpty, "\(isa): NaN differs at \(nanMismatches.prefix(5))")
    }
  }

  @Test("tails of every length are written, nothing past the end")
  func tails() {
    for isa in KernelISA.allCases where isa.isSupported {
      for n in [1, 15, 16, 17, 33] {
        let x = (0..<n).map { Float($0) / 8 - 1 }
        var y = [Float](repeating: .nan, count: n + 1)
        x.withUnsafeBufferPointer { xp in
          y.withUnsafeMutableBufferPointer { Transcendental.apply(.tanh, xp.baseAddress!, $0.baseAddress!, count: n, isa: isa) }
        }
        #expect(y.prefix(n).allSatisfy { !$0.isNaN } && y[n].isNaN, "\(isa) n = \(n)")
      }
    }
  }
}
