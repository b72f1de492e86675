import BackpropCore
import BackpropKernels
import Testing
import _BackpropTestSupport

// Float + − × ÷ with broadcasting whose last axis is contiguous or a repeated number in each
// operand (a per-channel scale over (N, C, H·W), a bias over rows) runs row by row through the
// vector-width C loop, rows over the threads. Each result must be the correctly rounded Float of
// the exact operation: computed in Double and rounded (exact for one + − × ÷ of two Floats).

@Suite struct BroadcastRowsFloatTests {
  static let shapes: [([Int], [Int])] = [([2, 3, 20], [1, 3, 1]), ([2, 3, 20], [3, 1]), ([5, 17], [17]),
                                         ([1, 3, 20], [4, 3, 20]), ([4, 1, 33], [4, 6, 33])]

  @Test(arguments: 0..<5)
  func matchesTheCorrectlyRoundedResult(_ index: Int) {
    let (sa, sb) = Self.shapes[index]
    let a = Tensor<Float>.seeded(sa, .uniform(-3, 3), seed: UInt64(10 + index))
    let b = Tensor<Float>.seeded(sb, .uniform(0.5, 3), seed: UInt64(20 + index))
    let (da, db) = (Tensor<Double>(shape: sa, scalars: a.scalars.map(Double.init)), Tensor<Double>(shape: sb, scalars: b.scalars.map(Double.init)))
    for threads in [1, 2] {
      Gemm.withSettings(threadCount: threads) {
        let pairs: [(String, Tensor<Float>, Tensor<Double>)] = [("+", a + b, da + db), ("−", a - b, da - db), ("×", a * b, da * db),
                                                                 ("÷", a / b, da / db), ("b − a", b - a, db - da)]
        for (name, f, d) in pairs {
          #expect(f.shape == d.shape)
          let wrong = zip(f.scalars, d.scalars).filter { $0 != Float($1) }.count
          #expect(wrong == 0, "\(sa) \(name) \(sb), \(threads) thread(s): \(wrong) elements differ")
        }
      }
    }
  }
}
