import BackpropCore
import BackpropKernels
import Testing
import _BackpropTestSupport

// `packedSelfAttention` (one op from the packed q/k/v projection to the merged heads, strided
// kernels) against the path it replaces in `multiheadAttention`: slice, split heads by
// reshape + permute, `scaledDotProductAttention`, merge by permute + reshape; in Float,
// forward and gradient, causal and not.

@Suite struct AttentionFloatTests {
  static func reference(_ x: Tensor<Float>, heads: Int, causal: Bool) -> Tensor<Float> {
    let (b, t, e) = (x.shape[0], x.shape[1], x.shape[2] / 3)
    func split(_ k: Int) -> Tensor<Float> {
      x.sliced(alongAxis: 2, k * e..<(k + 1) * e).reshaped(to: [b, t, heads, e / heads]).permuted([0, 2, 1, 3])
    }
    let y = Tensor.scaledDotProductAttention(query: split(0), key: split(1), value: split(2), causal: causal)
    return y.permuted([0, 2, 1, 3]).reshaped(to: [b, t, e])
  }

  @Test(arguments: [(3, 5, 4, 2, true), (2, 16, 64, 4, true), (1, 7, 6, 3, false)])
  func matchesSplitHeadsAttention(_ c: (Int, Int, Int, Int, Bool)) {
    let (b, t, e, heads, causal) = c
    var g = SeededGenerator(seed: stableSeed("AttentionFloatTests", salt: UInt64(b * 1000 + t * 10 + heads)))
    func values(_ n: Int) -> [Float] { (0..<n).map { _ in Float(g.next() % 20_001) / 5_000 - 2 } }
    let x = values(b * t * 3 * e), u = Tensor<Float>(shape: [b, t, e], scalars: values(b * t * e))
    func run(_ f: (Tensor<Float>) -> Tensor<Float>) -> (y: [Float], dx: [Float]) {
      let leaf = Tensor<Float>(shape: [b, t, 3 * e], scalars: x, requiresGrad: true)
      let y = f(leaf)
      (y * u).sum().backward()
      return (y.scalars, leaf.grad!.scalars)
    }
    let fast = run { Tensor.packedSelfAttention($0, heads: heads, causal: causal) }
    let reference = run { Self.reference($0, heads: heads, causal: causal) }
    for (name, a, r) in [("output", fast.y, reference.y), ("gradient", fast.dx, reference.dx)] {
      #expect(a.count == r.count)
      // Float rounding of the same sums in a different order (dot products of up to 16 terms).
      let worst = zip(a, r).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
      #expect(worst < 1e-5, "\(c) \(name): max relative difference \(worst)")
    }
  }

  /// The C kernels' portable and AVX2 paths agree to rounding (head size 16: the vector path).
  @Test(.enabled(if: KernelISA.avx2.isSupported, "this CPU has no AVX2: only the portable path exists to compare"))
  func portableAndVectorPathsAgree() {
    let (b, t, e, heads) = (2, 9, 32, 2)
    var g = SeededGenerator(seed: 77)
    let x = (0..<(b * t * 3 * e)).map { _ in Float(g.next() % 20_001) / 5_000 - 2 }
    let u = (0..<(b * t * e)).map { _ in Float(g.next() % 20_001) / 5_000 - 2 }
    var results: [[Float]] = []
    for isa in [KernelISA.portable, .avx2] {
      var out = [Float](repeating: .nan, count: b * t * e), p = [Float](repeating: .nan, count: b * heads * t * t)
      var dx = [Float](repeating: .nan, count: x.count)
      PackedAttention.forward(qkv: x, into: &out, probabilities: &p, batch: b, steps: t, embed: e, heads: heads, causal: true, isa: isa)
      PackedAttention.backward(gradient: u, qkv: x, probabilities: p, into: &dx, batch: b, steps: t, embed: e, heads: heads,
                               causal: true, isa: isa)
      results.append(out + p + dx)
    }
    let worst = zip(results[0], results[1]).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .nan
    #expect(worst < 1e-5, "max relative difference \(worst)")
  }
}
