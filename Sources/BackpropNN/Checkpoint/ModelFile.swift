import BackpropIO
import Foundation

/// Saving and loading a `Sequential` model as a safetensors file, the format PyTorch and
/// Hugging Face use: one tensor per parameter, named as in a PyTorch `state_dict` (`0.weight`,
/// `0.bias`, `2.weight`, …), so files move between the two in both directions.
///
/// Metadata (all strings, in the header's `__metadata__`):
/// - `format`: `backprop-model/1`;
/// - `architecture`: the layers, e.g. `Linear(64,128),ReLU,Linear(128,10)` (see `LayerSpec`);
/// - `input_shape`: one sample's shape when the network has one (`Sequential.inputShape`), e.g. `1,28,28`;
/// - `generator.<i>`: the state of dropout layer `i`'s random generator (four words);
/// - anything the caller adds (training checkpoints add the epoch, options, optimizer state…).
///
/// A file without `architecture` (written by PyTorch) is read as an MLP: its `N.weight` /
/// `N.bias` tensors give the `Linear` layers, and each gap in the indices is filled with the
/// `activation` given to `load` (PyTorch's `Sequential(Linear, ReLU, Linear)` has indices 0, 2).
/// Tensors whose names are not parameters of the model (optimizer state) are ignored.
public enum ModelFile {
  /// The `format` metadata value written by `encode`.
  public static let formatTag = "backprop-model/1"
  /// The metadata key of the model's sample shape (`Sequential.inputShape`).
  public static let inputShapeKey = "input_shape"

  /// `[1, 28, 28]` → `1,28,28`, as the `input_shape` metadata and `--input-shape` write it.
  public static func inputShapeText(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: ",") }

  /// `1,28,28` → `[1, 28, 28]`.
  /// - Throws: `TensorError.invalidArgument` unless it is a list of positive sizes (at most 2³² values in all).
  public static func parseInputShape(_ text: String) throws -> [Int] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.count <= 8, parts.allSatisfy({ ($0 ?? 0) > 0 && $0! <= 1 << 20 }),
          parts.map({ $0! }).reduce(1, *) <= 1 << 32 else {
      throw TensorError.invalidArgument(op: "ModelFile.load", message: "input shape '\(text)' is not a list of positive sizes like 1,28,28")
    }
    return parts.map { $0! }
  }

  /// The safetensors contents for `model`: its parameters (in their own precision) and metadata.
  /// - Throws: `TensorError.invalidArgument` if a metadata key clashes with a reserved one.
  public static func encode<Scalar>(_ model: Sequential<Scalar>, metadata: [String: String] = [:]) throws -> SafeTensorsFile {
    var file = SafeTensorsFile()
    for (name, p) in model.namedParameters { file.tensors[name] = try safeTensor(p) }
    for (name, b) in model.namedBuffers {
      // PyTorch stores the batch count as int64; so do we, so that both read either file.
      file.tensors[name] = name.hasSuffix("num_batches_tracked")
        ? try SafeTensor(integers: b.scalars.map { Int(Double($0)) }, shape: b.shape) : try safeTensor(b)
    }
    file.metadata = metadata
    file.metadata["format"] = formatTag
    if let specs = model.architecture { file.metadata["architecture"] = LayerSpec.architectureString(specs) }
    if let shape = model.inputShape { file.metadata[inputShapeKey] = inputShapeText(shape) }
    for (i, words) in model.generatorStates { file.metadata["generator.\(i)"] = words.map(String.init).joined(separator: ",") }
    return file
  }

  /// Writes `model` to `url` atomically (a temporary file renamed over the destination).
  /// - Parameter extraTensors: more tensors to store beside the parameters (e.g. optimizer state).
  /// - Throws: `DataError.ioFailed` naming the file.
  public static func save<Scalar>(
    _ model: Sequential<Scalar>, to url: URL, metadata: [String: String] = [:], extraTensors: [String: SafeTensor] = [:]
  ) throws {
    var file = try encode(model, metadata: metadata)
    for (name, t) in extraTensors { file.tensors[name] = t }
    try file.write(to: url)
  }

  /// Rebuilds the model a file describes and loads its parameters.
  ///
  /// - Parameter activation: the activation between `Linear` layers when the file has no
  ///   `architecture` (a PyTorch file).
  /// - Throws: `TensorError.invalidArgument` / `.shapeMismatch` for a file that does not
  ///   describe a `Sequential` of known layers, or whose tensors do not fit it.
  /// - Parameter architecture: the layers of a file without `architecture` metadata that is not
  ///   an MLP (a PyTorch CNN `state_dict`); its tensors must fit them.
  /// - Parameter inputShape: the sample shape of a file without `input_shape` metadata (a
  ///   PyTorch CNN's, e.g. `[1, 28, 28]`), so that flat rows reach it as images.
  public static func load<Scalar>(_ file: SafeTensorsFile, activation: LayerSpec = .relu,
                                  architecture: [LayerSpec]? = nil, inputShape: [Int]? = nil) throws -> Sequential<Scalar> {
    let specs: [LayerSpec]
    if let architecture, file.metadata["architecture"] == nil {
      specs = architecture
    } else if let text = file.metadata["architecture"] {
      specs = try LayerSpec.parseArchitecture(text)
    } else {
      specs = try inferArchitecture(file, activation: activation)
    }
    // Check the file's tensors against the architecture before building it, so that metadata
    // declaring layers larger than the file (a damaged or hostile file) throws instead of
    // allocating them.
    try checkParameters(of: specs, in: file)
    let model = try Sequential<Scalar>(architecture: specs, seed: 0)
    if let text = file.metadata[inputShapeKey] {
      model.inputShape = try parseInputShape(text)
    } else {
      model.inputShape = inputShape
    }
    if let shape = model.inputShape, model.architecture != nil {
      // A recorded (or given) sample shape must fit the recorded layers, or the first batch would stop the program.
      do { try model.checkInput(shape: shape) } catch let TensorError.shapeMismatch(_, _, _, reason) {
        throw TensorError.invalidArgument(op: "ModelFile.load", message: "input shape \(shape) does not fit the layers: \(reason)")
      }
    }
    var tensors: [String: Tensor<Scalar>] = [:]
    for (name, p) in model.namedParameters {
      guard let stored = file.tensors[name] else {
        throw TensorError.invalidArgument(op: "ModelFile.load", message: "the file has no tensor '\(name)' for layer \(name.split(separator: ".")[0])")
      }
      guard stored.shape == p.shape else {
        throw TensorError.shapeMismatch(op: "ModelFile.load", lhs: p.shape, rhs: stored.shape, reason: "tensor '\(name)'")
      }
      let values: [Scalar] = try scalars(of: stored)
      // A diverged run's weights: refuse them rather than evaluate to a confident nonsense.
      if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw TensorError.invalidArgument(
          op: "ModelFile.load", message: "tensor '\(name)' holds \(values[bad]) at index \(bad); a model with NaN or infinite weights cannot be used")
      }
      tensors[name] = Tensor<Scalar>(shape: stored.shape, scalars: values)
    }
    try model.loadParameters(from: tensors)
    try loadBuffers(of: model, from: file)
    var states: [Int: [UInt64]] = [:]
    for (key, value) in file.metadata where key.hasPrefix("generator.") {
      if let i = Int(key.dropFirst("generator.".count)) { states[i] = value.split(separator: ",").compactMap { UInt64($0) } }
    }
    model.generatorStates = states
    return model
  }

  /// Reads `url` and rebuilds its model; returns the file too, for its metadata.
  /// - Throws: `DataError` for an unreadable file, or the errors of `load(_:activation:)`.
  public static func load<Scalar>(contentsOf url: URL, activation: LayerSpec = .relu,
                                  architecture: [LayerSpec]? = nil, inputShape: [Int]? = nil) throws -> (model: Sequential<Scalar>, file: SafeTensorsFile) {
    let file = try SafeTensorsFile(contentsOf: url)
    return (try load(file, path: url.path, activation: activation, architecture: architecture, inputShape: inputShape), file)
  }

  /// Rebuilds the model of `file`, read from `path` (named in errors); see `load(_:activation:architecture:inputShape:)`.
  /// - Throws: `DataError.malformed` naming `path`.
  public static func load<Scalar>(_ file: SafeTensorsFile, path: String, activation: LayerSpec = .relu,
                                  architecture: [LayerSpec]? = nil, inputShape: [Int]? = nil) throws -> Sequential<Scalar> {
    do { return try load(file, activation: activation, architecture: architecture, inputShape: inputShape) } catch let e as TensorError {
      throw DataError.malformed(path: path, reason: e.withoutOperation)
    }
  }

  /// Throws unless `file` has every parameter tensor `specs` needs, with the right shape.
  static func checkParameters(of specs: [LayerSpec], in file: SafeTensorsFile) throws {
    for (i, spec) in specs.enumerated() {
      for (suffix, shape) in spec.parameterShapes {
        let name = "\(i).\(suffix)"
        guard let stored = file.tensors[name] else {
          throw TensorError.invalidArgument(op: "ModelFile.load", message: "the file has no tensor '\(name)' for layer \(i)")
        }
        guard stored.shape == shape else {
          throw TensorError.shapeMismatch(op: "ModelFile.load", lhs: shape, rhs: stored.shape, reason: "tensor '\(name)'")
        }
      }
    }
  }

  /// Batch norm's running statistics from `file` (`<i>.running_mean`, `<i>.running_var`, and
  /// `<i>.num_batches_tracked` if present); a file without them (an older one) keeps the defaults.
  static func loadBuffers<Scalar>(of model: Sequential<Scalar>, from file: SafeTensorsFile) throws {
    for (i, layer) in model.layers.enumerated() {
      guard let norm = layer as? BatchNormLayer<Scalar> else { continue }
      var buffers: [String: Tensor<Scalar>] = [:]
      for name in ["running_mean", "running_var", "num_batches_tracked"] {
        guard let stored = file.tensors["\(i).\(name)"] else { continue }
        let values: [Scalar] = stored.dtype == .int64 ? try stored.integers().map { Scalar(Double($0)) } : try scalars(of: stored)
        buffers[name] = Tensor<Scalar>(shape: stored.shape, scalars: values)
      }
      try norm.loadBuffers(buffers)
    }
  }

  /// The most layers without parameters accepted between two `Linear` layers of a PyTorch file
  /// (activations and dropouts: a handful in practice); a larger gap in the indices is refused
  /// rather than filled with that many placeholder layers.
  static let maxIndexGap = 64

  /// The MLP a PyTorch `state_dict` of `Linear` layers implies.
  static func inferArchitecture(_ file: SafeTensorsFile, activation: LayerSpec) throws -> [LayerSpec] {
    var weights: [Int: [Int]] = [:], biases: Set<Int> = []
    for (name, t) in file.tensors {
      let parts = name.split(separator: ".")
      guard parts.count == 2, let i = Int(parts[0]) else { continue }
      if parts[1] == "weight" { weights[i] = t.shape } else if parts[1] == "bias" { biases.insert(i) }
    }
    let indices = weights.keys.sorted()
    guard !indices.isEmpty else {
      throw TensorError.invalidArgument(op: "ModelFile.load", message: "no 'architecture' metadata and no '<index>.weight' tensors: not a Sequential of Linear layers")
    }
    var specs: [LayerSpec] = []
    for (position, i) in indices.enumerated() {
      let shape = weights[i]!
      guard shape.count == 2 else {
        throw TensorError.invalidArgument(op: "ModelFile.load", message: "tensor '\(i).weight' has shape \(shape); only Linear (out, in) weights can be inferred")
      }
      if position == 0 && i > 0 {
        throw TensorError.invalidArgument(op: "ModelFile.load", message: "the first Linear layer is at index \(i), not 0; add 'architecture' metadata")
      }
      if position > 0 {
        // Fill the gap since the previous Linear: the activation, then identity-like padding.
        let gap = i - indices[position - 1] - 1
        guard gap <= maxIndexGap else {
          throw TensorError.invalidArgument(
            op: "ModelFile.load",
            message: "layers \(indices[position - 1] + 1)..<\(i) between two Linear layers hold no tensors; add 'architecture' metadata")
        }
        if gap >= 1 { specs.append(activation) }
        if gap >= 2 { for _ in 0..<(gap - 1) { specs.append(.dropout(probability: 0)) } }
      }
      specs.append(.linear(inputSize: shape[1], outputSize: shape[0], bias: biases.contains(i)))
    }
    return specs
  }

  /// A parameter as a safetensors tensor in its own precision (`F32` or `F64`).
  public static func safeTensor<Scalar: TensorScalar>(_ t: Tensor<Scalar>) throws -> SafeTensor {
    if let values = t.scalars as? [Float] { return try SafeTensor(floats: values, shape: t.shape) }
    return try SafeTensor(doubles: t.scalars.map { Double($0) }, shape: t.shape)
  }

  /// A safetensors tensor's elements converted to `Scalar` (exact for F32 → Float and F64 → Double).
  public static func scalars<Scalar: TensorScalar>(of t: SafeTensor) throws -> [Scalar] {
    if Scalar.self == Float.self { return try t.floats() as! [Scalar] }
    return try t.doubles().map { Scalar($0) }
  }
}

extension TensorError {
  /// The message without the `op:` prefix, for errors reported against a file.
  fileprivate var withoutOperation: String {
    switch self {
    case let .invalidArgument(_, message): return message
    case let .shapeMismatch(_, lhs, rhs, reason): return "\(reason) has shape \(rhs); the model needs \(lhs)"
    default: return description
    }
  }
}
