import Backprop
import BackpropKernels

/// The matrix products of one W6 epoch and nothing else: the floor under W6's seconds per epoch.
///
/// Convolutions counted as im2col GEMMs over a whole batch of B images (a conv with C input and
/// O output channels, k×k kernel and P output pixels per image): forward `W·cols` (O × B·P,
/// inner C·k²), weight gradient `G·colsᵀ` (O × C·k², inner B·P) and, except for the first layer
/// (the images need no gradient), input columns `Wᵀ·G` (C·k² × B·P, inner O). Linear layers as in
/// `MLPGemmFloor`. Every product has one dimension proportional to B, so an epoch's FLOPs are
/// `flopsPerSample × samples`: ≈ 25.0 MFLOP per image, ≈ 1.50 TFLOP per 60,000-image epoch.
public enum CNNGemmFloor {
  /// (in channels, out channels, kernel side, output pixels per image) of the CNN's convolutions.
  static let convolutions = [(1, 32, 3, 28 * 28), (32, 64, 3, 14 * 14)]
  /// (in, out) of its linear layers.
  static let linears = [(3136, 128), (128, 10)]

  /// (transA, transB, m, n, k) of every product of one step with batch size `batch`.
  static func products(batch: Int) -> [(Bool, Bool, Int, Int, Int)] {
    var list: [(Bool, Bool, Int, Int, Int)] = []
    for (layer, (c, o, side, plane)) in convolutions.enumerated() {
      let k = c * side * side, n = batch * plane
      list.append((false, false, o, n, k))                  // Y = W·cols
      list.append((false, true, o, k, n))                   // ∂W = G·colsᵀ
      if layer > 0 { list.append((true, false, k, n, o)) }  // ∂cols = Wᵀ·G (then col2im)
    }
    for (fanIn, fanOut) in linears {
      list.append((false, true, batch, fanOut, fanIn))                // Y = X·Wᵀ
      list.append((true, false, fanOut, fanIn, batch))                // ∂W = Gᵀ·X
      list.append((false, false, batch, fanIn, fanOut))               // ∂X = G·W
    }
    return list
  }

  /// Floating-point operations of one epoch's products.
  public static func flopsPerEpoch(samples: Int = 60_000) -> Double {
    Double(samples) * products(batch: 1).reduce(0.0) { $0 + 2 * Double($1.2 * $1.3 * $1.4) }
  }

  /// The epoch's products at the GEMM rate measured now: the median time of `steps` full steps'
  /// products (batch `batch`) through `Gemm.sgemm` under the current compute settings, scaled to
  /// `samples` images; with the epoch's FLOPs and the settings it ran under.
  public static func seconds(samples: Int = 60_000, batch: Int = 128, runs: Int = 5, steps: Int = 4)
    -> (seconds: Double, flops: Double, settings: ComputeSettings)
  {
    let list = products(batch: batch)
    let largest = list.map { Swift.max($0.2 * $0.4, $0.4 * $0.3, $0.2 * $0.3) }.max()!
    var rng = SeededGenerator(seed: 42)
    let a = (0..<largest).map { _ in Float(rng.nextUniform()) - 0.5 }
    let b = (0..<largest).map { _ in Float(rng.nextUniform()) - 0.5 }
    var c = [Float](repeating: 0, count: largest)
    let timed = Stopwatch.median(warmup: 1, runs: runs) {
      a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
          c.withUnsafeMutableBufferPointer { cp in
            for _ in 0..<steps {
              for (transA, transB, m, n, k) in list {
                Gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                           a: ap.baseAddress!, lda: transA ? m : k, b: bp.baseAddress!, ldb: transB ? k : n,
                           beta: 0, c: cp.baseAddress!, ldc: n)
              }
            }
          }
        }
      }
    }
    let perSample = timed / Double(steps * batch)
    return (perSample * Double(samples), flopsPerEpoch(samples: samples), ComputeSettings.current)
  }
}
