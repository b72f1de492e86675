import BackpropCore

/// The loop shared by `LSTM` and `GRU`: `numLayers` stacked cells run over time, layer by layer.
/// `input` is `[T, B, I]` (or `[B, T, I]` when `batchFirst`); `states` holds, per state tensor
/// (h, or h and c), a `[numLayers, B, H]` tensor or `nil` for zeros. Returns the last layer's
/// outputs `[T, B, H]` (or `[B, T, H]`) and the final states, each `[numLayers, B, H]`.
func runRecurrent<Scalar>(
  _ input: Tensor<Scalar>, states: [Tensor<Scalar>?], layerName: String, inputSize: Int, hiddenSize: Int,
  numLayers: Int, batchFirst: Bool, step: (_ layer: Int, _ x: Tensor<Scalar>, _ state: [Tensor<Scalar>]) -> [Tensor<Scalar>]
) -> (output: Tensor<Scalar>, states: [Tensor<Scalar>]) {
  require(input.rank == 3 && input.shape[2] == inputSize, layerName,
          "input \(input.shape) must be \(batchFirst ? "[batch, T, \(inputSize)]" : "[T, batch, \(inputSize)]")")
  let timeAxis = batchFirst ? 1 : 0, batch = input.shape[batchFirst ? 0 : 1], steps = input.shape[timeAxis]
  for case let s? in states {
    require(s.shape == [numLayers, batch, hiddenSize], layerName,
            "initial state \(s.shape) must be [\(numLayers), \(batch), \(hiddenSize)] for input \(input.shape)")
  }
  var sequence = (0..<steps).map { input.sliced(alongAxis: timeAxis, $0..<$0 + 1).reshaped(to: [batch, inputSize]) }
  var finals: [[Tensor<Scalar>]] = states.map { _ in [] }
  for layer in 0..<numLayers {
    var state = states.map { s in
      s.map { $0.sliced(alongAxis: 0, layer..<layer + 1).reshaped(to: [batch, hiddenSize]) }
        ?? Tensor<Scalar>.zeros([batch, hiddenSize])
    }
    for t in 0..<steps {
      state = step(layer, sequence[t], state)
      sequence[t] = state[0]
    }
    for k in state.indices { finals[k].append(state[k].reshaped(to: [1, batch, hiddenSize])) }
  }
  let output = Tensor.concatenated(sequence.map { $0.reshaped(to: batchFirst ? [batch, 1, hiddenSize] : [1, batch, hiddenSize]) },
                                   alongAxis: timeAxis)
  return (output, finals.map { Tensor.concatenated($0, alongAxis: 0) })
}

/// Per layer k: `weight_ih_lk` `[G·H, in]`, `weight_hh_lk` `[G·H, H]`, `bias_ih_lk`, `bias_hh_lk`
/// `[G·H]` (G gates), drawn from U(−1/√H, 1/√H) like PyTorch's.
func recurrentWeights<Scalar: TensorScalar>(gates: Int, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool)
  -> [(String, Tensor<Scalar>)] {
  let bound = Scalar(1 / Double(hiddenSize).squareRoot())
  var p: [(String, Tensor<Scalar>)] = []
  for k in 0..<numLayers {
    let inSize = k == 0 ? inputSize : hiddenSize
    func draw(_ shape: [Int]) -> Tensor<Scalar> { Tensor.randomUniform(shape, low: -bound, high: bound, requiresGrad: true) }
    p.append(("weight_ih_l\(k)", draw([gates * hiddenSize, inSize])))
    p.append(("weight_hh_l\(k)", draw([gates * hiddenSize, hiddenSize])))
    if bias {
      p.append(("bias_ih_l\(k)", draw([gates * hiddenSize])))
      p.append(("bias_hh_l\(k)", draw([gates * hiddenSize])))
    }
  }
  return p
}

/// What `LSTM` and `GRU` share: their sizes and layout, and per layer `gates` weight blocks
/// with PyTorch's names (`recurrentWeights`).
public class RecurrentLayerBase<Scalar: TensorScalar> {
  /// Features per input step.
  public let inputSize: Int
  /// Features of the state `h` (and `c`).
  public let hiddenSize: Int
  /// Stacked layers.
  public let numLayers: Int
  /// Whether inputs and outputs are `[batch, T, …]` rather than `[T, batch, …]`.
  public let batchFirst: Bool
  /// Whether the layers have `bias_ih` and `bias_hh`.
  public let hasBias: Bool
  /// The weights with PyTorch's names, layer by layer.
  public let namedParameters: [(String, Tensor<Scalar>)]
  /// Training mode (no effect: no dropout).
  public var isTraining = true

  init(name: String, gates: Int, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool, batchFirst: Bool) {
    require(inputSize > 0 && hiddenSize > 0 && numLayers > 0, name,
            "needs positive sizes, got inputSize \(inputSize), hiddenSize \(hiddenSize), numLayers \(numLayers)")
    (self.inputSize, self.hiddenSize, self.numLayers, self.batchFirst, hasBias) = (inputSize, hiddenSize, numLayers, batchFirst, bias)
    namedParameters = recurrentWeights(gates: gates, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias)
  }

  /// Layer `layer`'s `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh` (biases `nil` without bias).
  func weights(layer: Int) -> (ih: Tensor<Scalar>, hh: Tensor<Scalar>, biasIH: Tensor<Scalar>?, biasHH: Tensor<Scalar>?) {
    let per = hasBias ? 4 : 2
    let p = namedParameters[(layer * per)..<(layer * per + per)].map(\.1)
    return (p[0], p[1], hasBias ? p[2] : nil, hasBias ? p[3] : nil)
  }
}

/// A multi-layer LSTM (PyTorch's `nn.LSTM`, gates i, f, g, o), each layer one `lstmSequence` op.
///
/// Input `[T, batch, inputSize]`, or `[batch, T, inputSize]` with `batchFirst`. Parameters
/// with PyTorch's names, per layer k: `weight_ih_lk` `[4H, in]`, `weight_hh_lk` `[4H, H]`,
/// `bias_ih_lk`, `bias_hh_lk` `[4H]`, so an `nn.LSTM` state dict loads with `loadParameters`.
///
/// Per layer the input projection x·W_ihᵀ + b_ih + b_hh of all T steps is one matmul before
/// the recurrence, and the recurrence is one `lstmSequence` op (one GEMM and one gate kernel
/// per step, ∂W_hh one GEMM over the stacked steps), as oneDNN and cuDNN run it.
public final class LSTM<Scalar: TensorScalar>: RecurrentLayerBase<Scalar>, Layer {
  /// Weights from U(−1/√hiddenSize, 1/√hiddenSize) with the global generator, as PyTorch.
  public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false) {
    super.init(name: "LSTM", gates: 4, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst)
  }

  /// Runs over the whole sequence from `state` (`h0`, `c0`, each `[numLayers, batch, H]`; zeros
  /// when `nil`). Returns the last layer's `h` at every step (`[T, batch, H]`, or `[batch, T, H]`
  /// with `batchFirst`) and the final `(h, c)`, each `[numLayers, batch, H]`.
  public func callAsFunction(_ input: Tensor<Scalar>, state: (h: Tensor<Scalar>, c: Tensor<Scalar>)?)
    -> (output: Tensor<Scalar>, state: (h: Tensor<Scalar>, c: Tensor<Scalar>)) {
    require(input.rank == 3 && input.shape[2] == inputSize, "LSTM",
            "input \(input.shape) must be \(batchFirst ? "[batch, T, \(inputSize)]" : "[T, batch, \(inputSize)]")")
    let batch = input.shape[batchFirst ? 0 : 1], steps = input.shape[batchFirst ? 1 : 0]
    let hs = hiddenSize
    for case let s? in [state?.h, state?.c] {
      require(s.shape == [numLayers, batch, hs], "LSTM",
              "initial state \(s.shape) must be [\(numLayers), \(batch), \(hs)] for input \(input.shape)")
    }
    func initial(_ s: Tensor<Scalar>?, _ layer: Int) -> Tensor<Scalar> {
      s.map { $0.sliced(alongAxis: 0, layer..<layer + 1).reshaped(to: [batch, hs]) } ?? Tensor<Scalar>.zeros([batch, hs])
    }
    // Time-major inside: one permute of the input and of the output when batch-first.
    var layerInput = batchFirst ? input.permuted([1, 0, 2]) : input
    var finalH: [Tensor<Scalar>] = [], finalC: [Tensor<Scalar>] = []
    for layer in 0..<numLayers {
      let w = weights(layer: layer), width = layerInput.shape[2]
      // All steps' input projections in one matmul, [T·B, 4H]; the recurrence is one op.
      var projected = Tensor.matmul(layerInput.reshaped(to: [steps * batch, width]), w.ih, transposeB: true)
      switch (w.biasIH, w.biasHH) {
      case let (bi?, bh?): projected = projected + (bi + bh)
      case let (bi?, nil): projected = projected + bi
      case let (nil, bh?): projected = projected + bh
      case (nil, nil): break
      }
      let both = Tensor.lstmSequence(projected: projected.reshaped(to: [steps, batch, 4 * hs]), weightHH: w.hh,
                                     h0: initial(state?.h, layer), c0: initial(state?.c, layer))
      layerInput = both.sliced(alongAxis: 2, 0..<hs)
      let last = both.sliced(alongAxis: 0, steps - 1..<steps)
      finalH.append(last.sliced(alongAxis: 2, 0..<hs))
      finalC.append(last.sliced(alongAxis: 2, hs..<2 * hs))
    }
    return (batchFirst ? layerInput.permuted([1, 0, 2]) : layerInput,
            (Tensor.concatenated(finalH, alongAxis: 0), Tensor.concatenated(finalC, alongAxis: 0)))
  }

  /// The outputs only, from a zero state.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { callAsFunction(input, state: nil).output }

  public var summaryName: String { "LSTM(\(inputSize), \(hiddenSize), layers: \(numLayers))" }
}

/// A multi-layer GRU (PyTorch's `nn.GRU`, gates r, z, n with
/// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))), each step one `gruCell` op.
///
/// Input `[T, batch, inputSize]`, or `[batch, T, inputSize]` with `batchFirst`. Parameters
/// with PyTorch's names, per layer k: `weight_ih_lk` `[3H, in]`, `weight_hh_lk` `[3H, H]`,
/// `bias_ih_lk`, `bias_hh_lk` `[3H]`.
public final class GRU<Scalar: TensorScalar>: RecurrentLayerBase<Scalar>, Layer {
  /// Weights from U(−1/√hiddenSize, 1/√hiddenSize) with the global generator, as PyTorch.
  public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false) {
    super.init(name: "GRU", gates: 3, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst)
  }

  /// Runs over the whole sequence from `h0` `[numLayers, batch, H]` (zeros when `nil`). Returns
  /// the last layer's `h` at every step and the final `h`, `[numLayers, batch, H]`.
  public func callAsFunction(_ input: Tensor<Scalar>, state h0: Tensor<Scalar>?)
    -> (output: Tensor<Scalar>, state: Tensor<Scalar>) {
    let (output, finals) = runRecurrent(
      input, states: [h0], layerName: "GRU", inputSize: inputSize, hiddenSize: hiddenSize,
      numLayers: numLayers, batchFirst: batchFirst
    ) { layer, x, s in
      let w = weights(layer: layer)
      return [Tensor.gruCell(x, h: s[0], weightIH: w.ih, weightHH: w.hh, biasIH: w.biasIH, biasHH: w.biasHH)]
    }
    return (output, finals[0])
  }

  /// The outputs only, from a zero state.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { callAsFunction(input, state: nil).output }

  public var summaryName: String { "GRU(\(inputSize), \(hiddenSize), layers: \(numLayers))" }
}
