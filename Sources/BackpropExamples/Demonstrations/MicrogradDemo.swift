import BackpropCore
import BackpropData

/// micrograd's MLP, built from `Value` scalars on a `ScalarTape`: every weight, product and sum
/// is one node, exactly as in Karpathy's micrograd demo (a neuron computes
/// `act(Σᵢ wᵢxᵢ + b)`, ReLU on hidden layers, linear output).
///
/// The parameters are recorded once, at the start of the tape; `MicrogradDemo` marks the tape
/// after them and rewinds to that mark before each step, so a step's graph is dropped in O(1).
public struct ScalarMLP<T: TensorScalar> {
  /// One neuron's weights and bias.
  public struct Neuron {
    /// One weight per input.
    public var weights: [Value<T>]
    /// The bias.
    public var bias: Value<T>
  }
  /// The tape holding the parameters (and every graph built from them).
  public let tape: ScalarTape<T>
  /// Layer by layer, neuron by neuron.
  public private(set) var layers: [[Neuron]]

  /// An MLP with layer sizes `sizes` (inputs first): weights ~ U(−1, 1), biases 0, as micrograd.
  ///
  /// - Throws: `TensorError.invalidArgument` for fewer than two sizes or a size below 1.
  public init(sizes: [Int], tape: ScalarTape<T> = ScalarTape(), seed: UInt64 = 1337) throws {
    guard sizes.count >= 2, sizes.allSatisfy({ $0 > 0 }) else {
      throw TensorError.invalidArgument(op: "ScalarMLP", message: "needs at least two positive layer sizes, got \(sizes)")
    }
    self.tape = tape
    var rng = SeededGenerator(seed: seed)
    layers = zip(sizes, sizes.dropFirst()).map { fanIn, fanOut in
      (0..<fanOut).map { _ in
        Neuron(weights: (0..<fanIn).map { _ in tape.variable(T(rng.nextUniform() * 2 - 1)) }, bias: tape.variable(0))
      }
    }
  }

  /// Every weight and bias, neuron by neuron (weights first), layer by layer.
  public var parameters: [Value<T>] { layers.flatMap { $0.flatMap { $0.weights + [$0.bias] } } }

  /// The outputs for one input vector.
  ///
  /// - Throws: `TensorError.invalidArgument` when `inputs` does not match the first layer.
  @_specialize(exported: true, where T == Float)
  @_specialize(exported: true, where T == Double)
  public func callAsFunction(_ inputs: [Value<T>]) throws -> [Value<T>] {
    guard inputs.count == layers[0][0].weights.count else {
      throw TensorError.invalidArgument(op: "ScalarMLP", message: "expected \(layers[0][0].weights.count) inputs, got \(inputs.count)")
    }
    var activations = inputs
    for (l, layer) in layers.enumerated() {
      let last = l == layers.count - 1
      activations = layer.map { neuron in
        var sum = neuron.bias
        for (w, x) in zip(neuron.weights, activations) { sum = sum + w * x }
        return last ? sum : sum.relu()
      }
    }
    return activations
  }
}

/// The micrograd demo's training loop on `Value`s: a 2-16-16-1 `ScalarMLP` learns two moons
/// with the max-margin loss `mean(relu(1 − yᵢ·scoreᵢ)) + α·Σp²` (labels ±1, α = 1e-4) and SGD
/// with the learning rate `1 − 0.9·k/100` at step k — the same step, node for node, as
/// micrograd's notebook, which the W3a benchmark times against micrograd itself.
public final class MicrogradDemo<T: TensorScalar> {
  /// The model.
  public let model: ScalarMLP<T>
  /// Inputs (two features per point) and labels ±1.
  public let points: [[T]]
  /// ±1 per point.
  public let labels: [T]
  /// The L2 weight α.
  public let alpha: T = 1e-4
  /// Steps taken so far (k in the learning rate).
  public private(set) var stepCount = 0
  /// `model.parameters`, recorded once before `afterParameters`, so they survive every rewind.
  private let parameters: [Value<T>]
  /// The points as constant `Value`s, made once.
  private let inputs: [[Value<T>]]
  private let afterParameters: ScalarTape<T>.Mark

  /// Two moons of `count` points (noise 0.1, `dataSeed`) and a fresh model (`modelSeed`).
  public init(count: Int = 100, sizes: [Int] = [2, 16, 16, 1], dataSeed: UInt64 = 1, modelSeed: UInt64 = 1337) throws {
    let data = try Dataset.twoMoons(count: count, noise: 0.1, seed: dataSeed)
    points = (0..<data.count).map { data.features(at: $0).map { T($0) } }
    labels = data.labels.map { T($0 * 2 - 1) }
    model = try ScalarMLP(sizes: sizes, tape: ScalarTape(reservingCapacity: 80_000), seed: modelSeed)
    parameters = model.parameters
    inputs = points.map { $0.map { Value($0) } }
    afterParameters = model.tape.mark()
  }

  /// Drops the previous step's graph and records the loss at the current parameters; returns
  /// the loss node and the accuracy (fraction of points with the right sign).
  @_specialize(exported: true, where T == Float)
  @_specialize(exported: true, where T == Double)
  public func loss() throws -> (loss: Value<T>, accuracy: Double) {
    model.tape.rewind(to: afterParameters)
    var dataLoss = Value<T>(0)
    var correct = 0
    for (x, y) in zip(inputs, labels) {
      let score = try model(x)[0]
      if (score.value > 0) == (y > 0) { correct += 1 }
      dataLoss = dataLoss + (1 - score * y).relu()
    }
    dataLoss = dataLoss * (1 / T(points.count))
    var regularization = Value<T>(0)
    for p in parameters { regularization = regularization + p * p }
    return (dataLoss + regularization * alpha, Double(correct) / Double(points.count))
  }

  /// The same loss recorded with 0-dim `Tensor`s, one per scalar, at the given parameter
  /// values (in `model.parameters` order, e.g. `model.parameters.map { Tensor($0.value,
  /// requiresGrad: true) }`): the `Tensor` counterpart that the tests compare with and that W3
  /// times beside the `Value` version.
  ///
  /// - Throws: `TensorError.invalidArgument` when the parameter count does not match the model.
  @_specialize(exported: true, where T == Float)
  @_specialize(exported: true, where T == Double)
  public func lossOnTensors(_ tensors: [Tensor<T>]) throws -> Tensor<T> {
    guard tensors.count == parameters.count else {
      throw TensorError.invalidArgument(op: "MicrogradDemo.lossOnTensors", message: "expected \(parameters.count) parameters, got \(tensors.count)")
    }
    var offset = 0
    let layers: [[(w: [Tensor<T>], b: Tensor<T>)]] = model.layers.map { layer in
      layer.map { neuron in
        defer { offset += neuron.weights.count + 1 }
        return (Array(tensors[offset..<offset + neuron.weights.count]), tensors[offset + neuron.weights.count])
      }
    }
    var dataLoss = Tensor<T>(0)
    for (x, y) in zip(points, labels) {
      var activations = x.map { Tensor<T>($0) }
      for (l, layer) in layers.enumerated() {
        activations = layer.map { neuron in
          var sum = neuron.b
          for (w, a) in zip(neuron.w, activations) { sum = sum + w * a }
          return l == layers.count - 1 ? sum : sum.relu()
        }
      }
      dataLoss = dataLoss + (1 - activations[0] * y).relu()
    }
    dataLoss = dataLoss * (1 / T(points.count))
    var regularization = Tensor<T>(0)
    for p in tensors { regularization = regularization + p * p }
    return dataLoss + regularization * alpha
  }

  /// One step: loss, backward, SGD update. Returns the loss before the update and the accuracy.
  @discardableResult
  @_specialize(exported: true, where T == Float)
  @_specialize(exported: true, where T == Double)
  public func step() throws -> (loss: T, accuracy: Double) {
    let (loss, accuracy) = try self.loss()
    loss.backward()
    let learningRate = 1 - 0.9 * T(stepCount) / 100
    for p in parameters { p.value -= learningRate * p.grad }
    stepCount += 1
    return (loss.value, accuracy)
  }
}
