import BackpropCore
import Foundation

// Op-table rows for the recurrent cells (lstmCell, gruCell): the whole step from x, h, (c) and
// the weights, checked against `NaiveRecurrent`, plain loops over PyTorch's formulas.

extension OpTable {
  static let recurrent: [OpRow] = [
    .structural("lstmCell(_:h:c:weightIH:weightHH:biasIH:biasHH:)", "lstmCell B2 I3 H2, biases → [h′, c′]",
                [[2, 3], [2, 2], [2, 2], [8, 3], [8, 2], [8], [8]],
                { a in
                  let (h, c) = T.lstmCell(a[0], h: a[1], c: a[2], weightIH: a[3], weightHH: a[4], biasIH: a[5], biasHH: a[6])
                  return T.concatenated([h, c], alongAxis: 1)
                },
                naive: { NaiveRecurrent.lstm($0) }),
    .structural("lstmCell(_:h:c:weightIH:weightHH:biasIH:biasHH:)", "lstmCell B1 I2 H3, no bias → h′",
                [[1, 2], [1, 3], [1, 3], [12, 2], [12, 3]],
                { a in T.lstmCell(a[0], h: a[1], c: a[2], weightIH: a[3], weightHH: a[4]).h },
                naive: { a in
                  let both = NaiveRecurrent.lstm(a)
                  return T(shape: [1, 3], scalars: Array(both.scalars[0..<3]))
                }),
    .structural("lstmSequence(projected:weightHH:h0:c0:)", "lstmSequence T3 B2 H2 → [T, B, 2H]",
                [[3, 2, 8], [8, 2], [2, 2], [2, 2]],
                { a in T.lstmSequence(projected: a[0], weightHH: a[1], h0: a[2], c0: a[3]) },
                naive: { NaiveRecurrent.lstmSequence($0) }),
    .structural("gruCell(_:h:weightIH:weightHH:biasIH:biasHH:)", "gruCell B2 I3 H2, biases",
                [[2, 3], [2, 2], [6, 3], [6, 2], [6], [6]],
                { a in T.gruCell(a[0], h: a[1], weightIH: a[2], weightHH: a[3], biasIH: a[4], biasHH: a[5]) },
                naive: { NaiveRecurrent.gru($0) }),
  ]
}

enum NaiveRecurrent {
  static func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

  /// Row `j` of x·Wᵀ + b (+ the second projection), one batch row `n`.
  static func preactivation(_ a: [T], _ n: Int, _ j: Int, hidden: Int, biasAt: Int?) -> (Double, Double) {
    let (x, h, wi, wh) = (a[0], a[1], a[biasAt == nil ? a.count - 2 : biasAt! - 2], a[biasAt == nil ? a.count - 1 : biasAt! - 1])
    let inSize = x.shape[1]
    var gi = 0.0, gh = 0.0
    for k in 0..<inSize { gi += x.scalars[n * inSize + k] * wi.scalars[j * inSize + k] }
    for k in 0..<hidden { gh += h.scalars[n * hidden + k] * wh.scalars[j * hidden + k] }
    if let biasAt { gi += a[biasAt].scalars[j]; gh += a[biasAt + 1].scalars[j] }
    return (gi, gh)
  }

  /// [h′, c′] of PyTorch's LSTMCell; inputs x, h, c, W_ih, W_hh (, b_ih, b_hh).
  static func lstm(_ a: [T]) -> T {
    let b = a[0].shape[0], hidden = a[1].shape[1], biasAt: Int? = a.count == 7 ? 5 : nil
    var out = [Double](repeating: 0, count: b * 2 * hidden)
    for n in 0..<b {
      for k in 0..<hidden {
        func gate(_ q: Int) -> Double { let (x, y) = preactivation(a, n, q * hidden + k, hidden: hidden, biasAt: biasAt); return x + y }
        let i = sigmoid(gate(0)), f = sigmoid(gate(1)), g = Foundation.tanh(gate(2)), o = sigmoid(gate(3))
        let c = f * a[2].scalars[n * hidden + k] + i * g
        out[n * 2 * hidden + k] = o * Foundation.tanh(c)
        out[n * 2 * hidden + hidden + k] = c
      }
    }
    return T(shape: [b, 2 * hidden], scalars: out)
  }

  /// h_t and c_t of every step, `[T, B, 2H]`, from P `[T, B, 4H]`, W_hh, h0, c0: the LSTM
  /// recurrence G_t = P_t + h_{t−1}·W_hhᵀ with PyTorch's gate formulas.
  static func lstmSequence(_ a: [T]) -> T {
    let (p, w) = (a[0], a[1]), steps = p.shape[0], b = a[2].shape[0], hidden = a[2].shape[1]
    var h = a[2].scalars, c = a[3].scalars
    var out = [Double](repeating: 0, count: steps * b * 2 * hidden)
    for t in 0..<steps {
      var hNext = h, cNext = c
      for n in 0..<b {
        for k in 0..<hidden {
          func gate(_ q: Int) -> Double {
            let j = q * hidden + k
            var s = p.scalars[(t * b + n) * 4 * hidden + j]
            for m in 0..<hidden { s += h[n * hidden + m] * w.scalars[j * hidden + m] }
            return s
          }
          let i = sigmoid(gate(0)), f = sigmoid(gate(1)), g = Foundation.tanh(gate(2)), o = sigmoid(gate(3))
          cNext[n * hidden + k] = f * c[n * hidden + k] + i * g
          hNext[n * hidden + k] = o * Foundation.tanh(cNext[n * hidden + k])
          out[(t * b + n) * 2 * hidden + k] = hNext[n * hidden + k]
          out[(t * b + n) * 2 * hidden + hidden + k] = cNext[n * hidden + k]
        }
      }
      (h, c) = (hNext, cNext)
    }
    return T(shape: [steps, b, 2 * hidden], scalars: out)
  }

  /// h′ of PyTorch's GRUCell; inputs x, h, W_ih, W_hh, b_ih, b_hh.
  static func gru(_ a: [T]) -> T {
    let b = a[0].shape[0], hidden = a[1].shape[1]
    var out = [Double](repeating: 0, count: b * hidden)
    for n in 0..<b {
      for k in 0..<hidden {
        let r = preactivation(a, n, k, hidden: hidden, biasAt: 4), z = preactivation(a, n, hidden + k, hidden: hidden, biasAt: 4)
        let nn = preactivation(a, n, 2 * hidden + k, hidden: hidden, biasAt: 4)
        let rv = sigmoid(r.0 + r.1), zv = sigmoid(z.0 + z.1)
        let nv = Foundation.tanh(nn.0 + rv * nn.1)
        out[n * hidden + k] = (1 - zv) * nv + zv * a[1].scalars[n * hidden + k]
      }
    }
    return T(shape: [b, hidden], scalars: out)
  }
}
