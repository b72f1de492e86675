/// A table of a model's layers with their output shapes and parameter counts (like Keras'
/// `model.summary()` or `torchinfo`).
///
/// ```
/// #  Layer                Output shape   Parameters
/// 0  Linear(64 → 128)     [1, 128]            8,320
/// 1  ReLU                 [1, 128]                0
/// …
/// Total parameters: 17,226
/// ```
public struct ModelSummary: Sendable, CustomStringConvertible {
  /// One layer's line.
  public struct Row: Sendable, Equatable {
    /// Position in the network.
    public var index: Int
    /// The layer's `summaryName`.
    public var name: String
    /// The output shape for one sample (batch dimension 1).
    public var outputShape: [Int]
    /// Trainable scalars in the layer.
    public var parameterCount: Int
  }

  /// The layers, in order.
  public var rows: [Row]
  /// The input shape the shapes were computed for.
  public var inputShape: [Int]
  /// All trainable scalars.
  public var totalParameters: Int { rows.reduce(0) { $0 + $1.parameterCount } }

  /// The table, followed by the input shape and the total.
  public var description: String {
    let nameWidth = max(5, rows.map(\.name.count).max() ?? 0)
    let shapeWidth = max(12, rows.map { "\($0.outputShape)".count }.max() ?? 0)
    func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
    func lpad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
    var lines = ["#   \(pad("Layer", nameWidth))  \(pad("Output shape", shapeWidth))  \(lpad("Parameters", 10))"]
    for r in rows {
      lines.append("\(pad(String(r.index), 3)) \(pad(r.name, nameWidth))  \(pad("\(r.outputShape)", shapeWidth))  "
        + lpad(groupedThousands(r.parameterCount), 10))
    }
    lines.append("Input shape: \(inputShape)   Total parameters: \(groupedThousands(totalParameters))")
    return lines.joined(separator: "\n")
  }
}

/// `12345` → `"12,345"`.
public func groupedThousands(_ n: Int) -> String {
  let digits = String(n.magnitude)
  var out = ""
  for (i, ch) in digits.enumerated() {
    if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
    out.append(ch)
  }
  return n < 0 ? "-" + out : out
}

extension Sequential {
  /// Runs one zero sample of shape `[1] + featureShape` (`[1] + inputShape` when `featureShape`
  /// is the flat `[features]` of a network with an `inputShape`) through the layers (no gradients, in
  /// evaluation mode, the mode is restored afterwards) and records each output shape.
  /// - Throws: `TensorError.shapeMismatch` naming the layer if a `Linear` layer would get the
  ///   wrong number of features (checked before running it: layers stop on a wrong width).
  public func summary(inputShape flatOrSampleShape: [Int]) throws -> ModelSummary {
    let featureShape = sampleShape(for: flatOrSampleShape)
    try checkInput(shape: featureShape)
    let wasTraining = isTraining
    isTraining = false
    defer { isTraining = wasTraining }
    var x = Tensor<Scalar>.zeros([1] + featureShape)
    var rows: [ModelSummary.Row] = []
    withoutGradient {
      for (i, layer) in layers.enumerated() {
        x = layer(x)
        rows.append(.init(index: i, name: layer.summaryName, outputShape: x.shape, parameterCount: layer.parameterCount))
      }
    }
    return ModelSummary(rows: rows, inputShape: [1] + featureShape)
  }
}

extension Sequential {
  /// Throws unless samples of shape `featureShape` fit the model, following the shape through
  /// the layers with `LayerSpec.outputShape(for:)` (a layer without a spec ends the check).
  /// Call it where data from outside meets a model: a layer called on the wrong shape stops the
  /// program instead of throwing. Flat `[features]` stands for `inputShape` when the network has
  /// one with that many values (as `callAsFunction` reshapes).
  /// - Returns: the output shape of one sample, or `nil` when a layer without a spec ends the check.
  /// - Throws: `TensorError.shapeMismatch` naming the layer and the shapes.
  @discardableResult
  public func checkInput(shape flatOrSampleShape: [Int]) throws -> [Int]? {
    let featureShape = sampleShape(for: flatOrSampleShape)
    var shape = featureShape
    for (i, layer) in layers.enumerated() {
      guard let spec = layer.spec else { return nil }
      do {
        shape = try spec.outputShape(for: shape)
      } catch let TensorError.shapeMismatch(_, _, rhs, reason) {
        throw TensorError.shapeMismatch(op: "Sequential", lhs: [1] + featureShape, rhs: rhs,
                                        reason: "layer \(i) (\(layer.summaryName)): \(reason)")
      }
    }
    return shape
  }

  /// `inputShape` when `shape` is the flat `[features]` form of it, else `shape`.
  func sampleShape(for shape: [Int]) -> [Int] {
    guard let inputShape, shape.count == 1, shape[0] == inputShape.reduce(1, *) else { return shape }
    return inputShape
  }
}
