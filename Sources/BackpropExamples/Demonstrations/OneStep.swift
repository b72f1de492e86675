import BackpropCore
import BackpropNN

/// One step of backpropagation on a tiny network, with every intermediate value kept, so the
/// study note's procedure can be shown: forward pass → error → gradients of the output layer's
/// weights first, then each earlier layer's → updated weights → the error of the next forward
/// pass, which is lower.
///
/// The network is `Linear → Sigmoid` at every layer (the classic textbook setting), the error is
/// `E = ½ Σ (target − output)²`, and the update is plain gradient descent `W ← W − η ∂E/∂W`.
/// The default problem is the classic one: input (0.05, 0.10), target (0.01, 0.99), η = 0.5.
public struct OneStepReport: Codable, Sendable {
  /// One layer's forward values: `net = W·x + b` and `out = σ(net)`.
  public struct ForwardLayer: Codable, Sendable {
    /// Index of the layer, from 1 (the first hidden layer) to the output layer.
    public var layer: Int
    /// `net = W·x + b`, before the activation.
    public var net: [Double]
    /// `out = σ(net)`.
    public var out: [Double]
  }
  /// One layer's backward values and update.
  public struct BackwardLayer: Codable, Sendable {
    /// Index of the layer, from 1.
    public var layer: Int
    /// `(out, in)` like PyTorch.
    public var shape: [Int]
    /// δ = ∂E/∂net: how much each neuron of this layer is to blame for the error.
    public var delta: [Double]
    /// W before the update, one row per output neuron.
    public var weightsBefore: [[Double]]
    /// ∂E/∂W = δ · inputᵀ.
    public var weightGradient: [[Double]]
    /// ∂E/∂b = δ.
    public var biasGradient: [Double]
    /// W − η·∂E/∂W.
    public var updatedWeights: [[Double]]
    /// b − η·∂E/∂b.
    public var updatedBias: [Double]

    enum CodingKeys: String, CodingKey {
      case layer, shape, delta, weightsBefore = "weights_before", weightGradient = "weight_gradient"
      case biasGradient = "bias_gradient", updatedWeights = "updated_weights", updatedBias = "updated_bias"
    }
  }

  /// Layer widths, input first.
  public var sizes: [Int]
  /// Seed of the initial weights.
  public var seed: UInt64
  /// η.
  public var learningRate: Double
  /// The single input sample.
  public var input: [Double]
  /// Its target output.
  public var target: [Double]
  /// The first forward pass, input side first.
  public var forward: [ForwardLayer]
  /// E before the update.
  public var lossBefore: Double
  /// Backward pass results, **output layer first** (the order backpropagation visits them).
  public var layers: [BackwardLayer]
  /// The output after the update.
  public var outputAfter: [Double]
  /// E after the update (lower).
  public var lossAfter: Double

  enum CodingKeys: String, CodingKey {
    case sizes, seed, learningRate = "learning_rate", input, target, forward, lossBefore = "loss_before", layers
    case outputAfter = "output_after", lossAfter = "loss_after"
  }

  /// Runs the demonstration.
  ///
  /// - Parameters:
  ///   - sizes: layer widths, e.g. `[2, 3, 2]`.
  ///   - seed: seeds the initial weights (Glorot uniform, biases 0.1).
  ///   - input, target: default to the classic `0.05, 0.10, …` and `0.01, 0.99, …` patterns.
  /// - Throws: `TensorError.invalidArgument` for bad sizes or mismatched input/target lengths.
  public static func run(
    sizes: [Int], seed: UInt64, learningRate: Double = 0.5, input: [Double]? = nil, target: [Double]? = nil
  ) throws -> OneStepReport {
    guard sizes.count >= 2, sizes.allSatisfy({ $0 > 0 }) else {
      throw TensorError.invalidArgument(op: "step", message: "needs at least two positive layer sizes, got \(sizes)")
    }
    let x = input ?? (0..<sizes[0]).map { 0.05 * Double($0 + 1) }
    let t = target ?? (0..<sizes.last!).map { $0 % 2 == 0 ? 0.01 : 0.99 }
    guard x.count == sizes[0], t.count == sizes.last! else {
      throw TensorError.invalidArgument(op: "step", message: "input needs \(sizes[0]) values and target \(sizes.last!)")
    }
    var generator = SeededGenerator(seed: seed)
    let layers = (0..<(sizes.count - 1)).map {
      Linear<Double>(sizes[$0], sizes[$0 + 1], weightInitializer: .xavierUniform(), biasInitializer: .constant(0.1), using: &generator)
    }
    let xs = Tensor<Double>(x), ts = Tensor<Double>(t)

    // Forward pass, keeping every net input (with its gradient) for the report.
    func forward() throws -> (nets: [Tensor<Double>], outs: [Tensor<Double>], error: Tensor<Double>) {
      var nets: [Tensor<Double>] = [], outs: [Tensor<Double>] = []
      var h = xs
      for layer in layers {
        let net = layer(h)
        net.retainGrad()
        h = net.sigmoid()
        nets.append(net); outs.append(h)
      }
      return (nets, outs, (ts - h).squared().sum() * 0.5)
    }
    let (nets, outs, error) = try forward()
    error.backward()

    // Report and update from the output layer back to the first (the study note's steps 1 and 2).
    var backward: [BackwardLayer] = []
    for i in stride(from: layers.count - 1, through: 0, by: -1) {
      let layer = layers[i]
      let (o, n) = (layer.outputSize, layer.inputSize)
      func matrix(_ v: [Double]) -> [[Double]] { (0..<o).map { Array(v[($0 * n)..<(($0 + 1) * n)]) } }
      let before = layer.weight.scalars
      let gw = layer.weight.grad!.scalars, gb = layer.bias!.grad!.scalars
      layer.weight.update { w in for k in w.indices { w[k] -= learningRate * gw[k] } }
      layer.bias!.update { b in for k in b.indices { b[k] -= learningRate * gb[k] } }
      backward.append(BackwardLayer(
        layer: i + 1, shape: [o, n], delta: nets[i].grad!.scalars, weightsBefore: matrix(before), weightGradient: matrix(gw),
        biasGradient: gb, updatedWeights: matrix(layer.weight.scalars), updatedBias: layer.bias!.scalars))
    }
    // Step 3: the forward pass again, with the updated weights.
    let after = try withoutGradient { try forward() }
    return OneStepReport(
      sizes: sizes, seed: seed, learningRate: learningRate, input: x, target: t,
      forward: zip(nets, outs).enumerated().map { ForwardLayer(layer: $0 + 1, net: $1.0.scalars, out: $1.1.scalars) },
      lossBefore: error.item, layers: backward, outputAfter: after.outs.last!.scalars, lossAfter: after.error.item)
  }
}
