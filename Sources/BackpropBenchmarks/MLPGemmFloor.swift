import Backprop
import BackpropKernels

/// The matrix products of one W2 epoch and nothing else: the floor under W2's seconds per epoch.
///
/// A step of the 784-256-128-10 MLP on a batch of B rows makes, per linear layer (in × out):
/// the forward product `X·Wᵀ` (B×out, inner in), the weight gradient `Gᵀ·X` (out×in, inner B), and,
/// except for the first layer (the images need no gradient), the input gradient `G·W` (B×in,
/// inner out). 60,000 samples at B = 128 are 468 full batches and one of 96: ≈ 60.4 GFLOP.
public enum MLPGemmFloor {
  /// (transA, transB, m, n, k) of every product of one step with batch size `batch`.
  static func products(batch: Int, sizes: [Int] = [784, 256, 128, 10]) -> [(Bool, Bool, Int, Int, Int)] {
    var list: [(Bool, Bool, Int, Int, Int)] = []
    for (layer, (fanIn, fanOut)) in zip(sizes, sizes.dropFirst()).enumerated() {
      list.append((false, true, batch, fanOut, fanIn))        // Y = X·Wᵀ
      list.append((true, false, fanOut, fanIn, batch))        // ∂W = Gᵀ·X
      if layer > 0 { list.append((false, false, batch, fanIn, fanOut)) }  // ∂X = G·W
    }
    return list
  }

  /// Floating-point operations of one epoch's products.
  public static func flopsPerEpoch(samples: Int = 60_000, batch: Int = 128) -> Double {
    let batches = [(samples / batch, batch), (1, samples % batch)].filter { $0.1 > 0 }
    return batches.reduce(0.0) { total, pair in
      total + Double(pair.0) * products(batch: pair.1).reduce(0.0) { $0 + 2 * Double($1.2 * $1.3 * $1.4) }
    }
  }

  /// Median seconds for the products of one epoch (60,000 samples, batch 128) through `backend`
  /// (`nil`: the automatic choice), on random data in buffers reused across calls; with the
  /// compute settings they ran under.
  public static func seconds(backend: GemmBackend? = nil, runs: Int = 5, samples: Int = 60_000, batch: Int = 128)
    -> (seconds: Double, settings: ComputeSettings)?
  {
    let largest = 784 * 256
    var rng = SeededGenerator(seed: 42)
    let a = (0..<largest).map { _ in Float(rng.nextUniform()) - 0.5 }
    let b = (0..<largest).map { _ in Float(rng.nextUniform()) - 0.5 }
    var c = [Float](repeating: 0, count: largest)
    let full = products(batch: batch), last = products(batch: samples % batch)
    return Gemm.withSettings(backend: backend) {
      let seconds = Stopwatch.median(warmup: 1, runs: runs) {
        a.withUnsafeBufferPointer { ap in
          b.withUnsafeBufferPointer { bp in
            c.withUnsafeMutableBufferPointer { cp in
              for step in 0..<(samples + batch - 1) / batch {
                for (transA, transB, m, n, k) in (step < samples / batch ? full : last) {
                  Gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                             a: ap.baseAddress!, lda: transA ? m : k, b: bp.baseAddress!, ldb: transB ? k : n,
                             beta: 0, c: cp.baseAddress!, ldc: n)
                }
              }
            }
          }
        }
      }
      return (seconds, ComputeSettings.current)
    }
  }
}
