import BackpropCore
import Foundation

// Op-table rows for the sequence-model ops (where/maskedFill, embedding, attention, cross
// entropy). References are plain loops in `NaiveSequence` below.

extension OpTable {
  static let whereCondition = T(shape: [3, 4], scalars: [1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0])
  static let fillMask = T(shape: [1, 3], scalars: [0, 1, 0])
  static let embeddingIndices = [1, 4, 1, 0, 1, 2]
  static let attentionMask = T(shape: [3, 5], scalars: [1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1])
  static let ceTargets = [2, -100, 0, 3, 3, 1]

  static let sequence: [OpRow] = [
    .structural("where(_:_:_:)", "where [3,4] ? [3,4] : [4]", [[3, 4], [4]],
                { T.where(whereCondition, $0[0], $0[1]) },
                naive: { NaiveSequence.select(whereCondition, $0[0], $0[1].broadcastRows(3)) }),
    .structural("maskedFill(_:with:)", "maskedFill [2,3] mask [1,3]", [[2, 3]],
                { $0[0].maskedFill(fillMask, with: -1.5) },
                naive: { NaiveSequence.select(T(shape: [2, 3], scalars: [0, 1, 0, 0, 1, 0]), T(repeating: -1.5, shape: [2, 3]), $0[0]) }),
    .structural("embedding(_:shape:weight:paddingIndex:)", "embedding [2,3] indices with repeats", [[5, 3]],
                { T.embedding(embeddingIndices, shape: [2, 3], weight: $0[0]) },
                naive: { NaiveSequence.embedding($0[0], embeddingIndices, [2, 3]) }),
    .structural("scaledDotProductAttention(query:key:value:causal:mask:)", "attention causal [2,1,4,3]",
                [[2, 1, 4, 3], [2, 1, 4, 3], [2, 1, 4, 2]],
                { T.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], causal: true) },
                naive: { NaiveSequence.attention($0[0], $0[1], $0[2], causal: true, mask: nil) }),
    .structural("scaledDotProductAttention(query:key:value:causal:mask:)", "attention Tq 3 < Tk 5, mask, 2 heads",
                [[1, 2, 3, 4], [1, 2, 5, 4], [1, 2, 5, 3]],
                { T.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: attentionMask) },
                naive: { NaiveSequence.attention($0[0], $0[1], $0[2], causal: false, mask: attentionMask) }),
    .structural("packedSelfAttention(_:heads:causal:)", "packed self-attention [2,3,12], 2 heads, causal",
                [[2, 3, 12]], { T.packedSelfAttention($0[0], heads: 2, causal: true) },
                naive: { NaiveSequence.packedAttention($0[0], heads: 2, causal: true) }),
    .structural("packedSelfAttention(_:heads:causal:)", "packed self-attention [1,4,6], 1 head, not causal",
                [[1, 4, 6]], { T.packedSelfAttention($0[0], heads: 1, causal: false) },
                naive: { NaiveSequence.packedAttention($0[0], heads: 1, causal: false) }),
    .structural("crossEntropy(logits:targets:ignoreIndex:labelSmoothing:)", "crossEntropy [2,3,4] ignore -100, smoothing 0.1",
                [[2, 3, 4]], { T.crossEntropy(logits: $0[0], targets: ceTargets, ignoreIndex: -100, labelSmoothing: 0.1) },
                naive: { NaiveSequence.crossEntropy($0[0], ceTargets, ignore: -100, smoothing: 0.1) }),
  ]
}

extension Tensor<Double> {
  /// A `[n, c]` copy of a `[c]` tensor (test helper, no graph).
  func broadcastRows(_ n: Int) -> Tensor<Double> {
    Tensor(shape: [n] + shape, scalars: (0..<n).flatMap { _ in scalars })
  }
}

enum NaiveSequence {
  typealias T = Tensor<Double>

  static func select(_ c: T, _ a: T, _ b: T) -> T {
    T(shape: a.shape, scalars: a.scalars.indices.map { c.scalars[$0] != 0 ? a.scalars[$0] : b.scalars[$0] })
  }

  static func embedding(_ w: T, _ idx: [Int], _ shape: [Int]) -> T {
    let d = w.shape[1]
    return T(shape: shape + [d], scalars: idx.flatMap { i in (0..<d).map { w.scalars[i * d + $0] } })
  }

  /// Loops over batch·heads, queries and keys; softmax with the row maximum subtracted.
  static func attention(_ q: T, _ k: T, _ v: T, causal: Bool, mask: T?) -> T {
    let r = q.rank, tq = q.shape[r - 2], d = q.shape[r - 1], tk = k.shape[r - 2], dv = v.shape[r - 1]
    let groups = q.count / (tq * d)
    var out = [Double](repeating: 0, count: groups * tq * dv)
    for g in 0..<groups {
      for i in 0..<tq {
        var s = [Double](repeating: -.infinity, count: tk)
        for j in 0..<tk {
          if causal && j > i + tk - tq { continue }
          if let mask, mask.scalars[i * tk + j] == 0 { continue }
          var dot = 0.0
          for c in 0..<d { dot += q.scalars[(g * tq + i) * d + c] * k.scalars[(g * tk + j) * d + c] }
          s[j] = dot / Double(d).squareRoot()
        }
        let m = s.max()!
        let e = s.map { Foundation.exp($0 - m) }, z = e.reduce(0, +)
        for j in 0..<tk { for c in 0..<dv { out[(g * tq + i) * dv + c] += e[j] / z * v.scalars[(g * tk + j) * dv + c] } }
      }
    }
    return T(shape: Array(q.shape.dropLast()) + [dv], scalars: out)
  }

  /// `packedSelfAttention` by loops: the heads of q, k, v copied out of `[B, T, 3E]`, `attention`
  /// per head, the outputs written back side by side, `[B, T, E]`.
  static func packedAttention(_ x: T, heads: Int, causal: Bool) -> T {
    let (b, t, e) = (x.shape[0], x.shape[1], x.shape[2] / 3), d = e / heads
    var out = [Double](repeating: 0, count: b * t * e)
    for n in 0..<b {
      for h in 0..<heads {
        func part(_ k: Int) -> T {
          T(shape: [t, d], scalars: (0..<t * d).map { x.scalars[(n * t + $0 / d) * 3 * e + k * e + h * d + $0 % d] })
        }
        let y = attention(part(0), part(1), part(2), causal: causal, mask: nil)
        for i in 0..<t { for c in 0..<d { out[(n * t + i) * e + h * d + c] = y.scalars[i * d + c] } }
      }
    }
    return T(shape: [b, t, e], scalars: out)
  }

  static func crossEntropy(_ x: T, _ targets: [Int], ignore: Int, smoothing: Double) -> T {
    let c = x.shape[x.rank - 1]
    var total = 0.0, kept = 0
    for (i, t) in targets.enumerated() where t != ignore {
      let row = Array(x.scalars[i * c..<(i + 1) * c])
      let m = row.max()!
      let lse = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
      let logp = row.map { $0 - lse }
      total += -(1 - smoothing) * logp[t] - smoothing / Double(c) * logp.reduce(0, +)
      kept += 1
    }
    return T(total / Double(kept))
  }
}
