import BackpropData
import BackpropNN
import BackpropIO
import Foundation

/// A trained model ready for use: the network plus what is needed to feed it raw inputs and to
/// name its outputs, read from a safetensors file (ours, or PyTorch's without metadata).
///
/// Metadata read (all optional): `input_scaler` (a `FeatureScaler` as JSON, applied to raw
/// inputs), `class_names` (one per line), `dataset` (the source it was trained on); and, for
/// the command-line tool to rebuild the data pipeline, `task`, `label_column`, `test_fraction`
/// and `split_seed`.
public struct SavedModel {
  /// The metadata key of the input scaler.
  public static let inputScalerKey = "input_scaler"
  /// The metadata key of the class names (newline-separated).
  public static let classNamesKey = "class_names"
  /// The metadata key of the training data source.
  public static let datasetKey = "dataset"
  /// The metadata key of the task, `classification` or `regression`.
  public static let taskKey = "task"
  /// The metadata key of a CSV source's label column (index or header name, as given).
  public static let labelColumnKey = "label_column"
  /// The metadata key of a CSV source's test fraction.
  public static let testFractionKey = "test_fraction"
  /// The metadata key of the seed of a CSV source's train/test split.
  public static let splitSeedKey = "split_seed"

  /// The network, in evaluation mode.
  public var model: Sequential<Float>
  /// Maps raw inputs onto the model's inputs, when training used one.
  public var inputScaler: FeatureScaler?
  /// The name of each output class, when known.
  public var classNames: [String]?
  /// The data set the model was trained on, when recorded.
  public var dataset: String?
  /// All metadata of the file.
  public var metadata: [String: String]

  /// Whether the outputs are class scores: recorded `task`, else more than one output.
  public var isClassifier: Bool {
    if let task = metadata[Self.taskKey] { return task == "classification" }
    guard case let .linear(_, outputs, _)? = model.architecture?.last else { return true }
    return outputs > 1
  }

  /// Loads a model file.
  /// - Parameters:
  ///   - activation: between `Linear` layers of a file without `architecture` metadata.
  ///   - architecture: the layers of a file without `architecture` metadata that is not an MLP
  ///     (a PyTorch CNN `state_dict`, `--arch`).
  ///   - inputShape: the sample shape of such a file (e.g. `[1, 28, 28]`).
  /// - Throws: `DataError` for an unreadable file; `TensorError` for one that is not a model.
  public static func load(contentsOf url: URL, activation: LayerSpec = .relu, architecture: [LayerSpec]? = nil,
                          inputShape: [Int]? = nil) throws -> SavedModel {
    try load(SafeTensorsFile(contentsOf: url), path: url.path, activation: activation, architecture: architecture, inputShape: inputShape)
  }

  /// Loads the model in `file`, read from `path` (named in errors); see `load(contentsOf:activation:architecture:inputShape:)`.
  /// - Throws: `DataError` naming `path` for a file that is not a model or whose metadata is damaged.
  public static func load(_ file: SafeTensorsFile, path: String, activation: LayerSpec = .relu, architecture: [LayerSpec]? = nil,
                          inputShape: [Int]? = nil) throws -> SavedModel {
    let model: Sequential<Float> = try ModelFile.load(file, path: path, activation: activation, architecture: architecture, inputShape: inputShape)
    model.eval()
    var scaler: FeatureScaler?
    if let text = file.metadata[inputScalerKey] {
      do { scaler = try JSONDecoder().decode(FeatureScaler.self, from: Data(text.utf8)) } catch {
        throw DataError.malformed(path: path, reason: "the '\(inputScalerKey)' metadata is not a feature scaler")
      }
      if let inputs = Self.inputSize(of: model), scaler!.columnCount != inputs {
        throw DataError.malformed(path: path, reason: "its input scaler has \(scaler!.columnCount) columns but the model takes \(inputs) inputs")
      }
    }
    let names = file.metadata[classNamesKey].map { $0.components(separatedBy: "\n") }
    return SavedModel(model: model, inputScaler: scaler, classNames: names, dataset: file.metadata[datasetKey], metadata: file.metadata)
  }

  /// The number of input features the network expects: its sample shape's size, else the
  /// inputs of its first `Linear` layer.
  public var inputSize: Int? { Self.inputSize(of: model) }

  static func inputSize(of model: Sequential<Float>) -> Int? {
    if let shape = model.inputShape { return shape.reduce(1, *) }
    for case let .linear(i, _, _) in model.architecture ?? [] { return i }
    return nil
  }

  /// The network's outputs for raw `features` (`rows × inputSize`, row-major), after the scaler,
  /// in evaluation mode and without recording a graph.
  /// - Throws: `TensorError` when the sizes do not fit.
  public func outputs(for features: [Float], rows: Int) throws -> Tensor<Float> {
    let scaled = try inputScaler?.transform(features) ?? features
    guard rows > 0, scaled.count % rows == 0 else {
      throw TensorError.invalidArgument(op: "SavedModel.outputs", message: "\(features.count) values do not form \(rows) rows")
    }
    return withoutGradient { model(Tensor(shape: [rows, scaled.count / rows], scalars: scaled)) }
  }
}
