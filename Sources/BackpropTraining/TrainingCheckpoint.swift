import BackpropCore
import BackpropData
import BackpropIO
import BackpropNN
import BackpropOptim
import Foundation

/// A training run saved to one safetensors file: the model (loadable by PyTorch and by
/// `ModelFile`), the optimizer's buffers as extra tensors named `optimizer.<parameter>.<slot>`,
/// and metadata with everything else `--resume` needs to continue exactly:
///
/// | key                | value                                                     |
/// |--------------------|-----------------------------------------------------------|
/// | `epoch`            | epochs completed                                          |
/// | `training`         | the `TrainingConfiguration`, as JSON                      |
/// | `optimizer.steps`  | per-parameter step counts, comma-separated                |
/// | `optimizer.step_count` | the optimizer's `stepCount` (the schedule's position) |
/// | `history`          | the `EpochRecord`s so far, as JSON                        |
/// | `generator.<i>`    | dropout generators (written by `ModelFile`)               |
/// | `input_scaler`     | the `FeatureScaler` applied to inputs, as JSON (optional) |
/// | `dataset`, `class_names` | where the data came from and what the outputs mean  |
///
/// Writes are atomic, so an interrupted save never leaves a damaged checkpoint.
public struct TrainingCheckpoint {
  /// The trainer, with model, optimizer state, completed epochs and history restored.
  public var trainer: Trainer
  /// The scaler to apply to raw inputs before the model, if one was saved.
  public var inputScaler: FeatureScaler?
  /// All metadata of the file (including keys this type does not interpret).
  public var metadata: [String: String]

  /// Saves `trainer` to `url`; `extraMetadata` is added as is (e.g. `dataset`).
  /// - Throws: `DataError.ioFailed` naming the file.
  public static func save(
    _ trainer: Trainer, to url: URL, inputScaler: FeatureScaler? = nil, extraMetadata: [String: String] = [:]
  ) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
    var metadata = extraMetadata
    metadata["epoch"] = String(trainer.completedEpochs)
    metadata["training"] = try json(trainer.configuration)
    metadata["history"] = try json(trainer.history)
    if let inputScaler { metadata[SavedModel.inputScalerKey] = try json(inputScaler) }
    let state = trainer.optimizer.state
    metadata["optimizer.steps"] = state.steps.map(String.init).joined(separator: ",")
    metadata["optimizer.step_count"] = String(state.stepCount)
    var extra: [String: SafeTensor] = [:]
    let named = trainer.model.namedParameters
    for (slot, buffers) in state.slots {
      for (k, buffer) in buffers.enumerated() {
        guard let buffer else { continue }
        extra["optimizer.\(named[k].0).\(slot)"] = try SafeTensor(floats: buffer, shape: named[k].1.shape)
      }
    }
    try ModelFile.save(trainer.model, to: url, metadata: metadata, extraTensors: extra)
  }

  /// Saves `trainer` with what `eval`, `predict` and `--resume` need to know about `data`: its
  /// source, task, class names and input scaler.
  /// - Throws: `DataError.ioFailed` naming the file.
  public static func save(_ trainer: Trainer, data: TrainingData, to url: URL) throws {
    var metadata = [SavedModel.datasetKey: data.source,
                    SavedModel.taskKey: data.train.task == .classification ? "classification" : "regression"]
    if let names = data.train.classNames { metadata[SavedModel.classNamesKey] = names.joined(separator: "\n") }
    try save(trainer, to: url, inputScaler: data.inputScaler, extraMetadata: metadata)
  }

  /// Loads a checkpoint written by `save`, ready to continue training.
  ///
  /// - Parameter epochs: a new total number of epochs (to train further than planned), or `nil`
  ///   to keep the saved one.
  /// - Throws: `DataError` for an unreadable file; `TensorError.invalidArgument` for a file that
  ///   is a plain model without training state.
  public static func load(contentsOf url: URL, epochs: Int? = nil) throws -> TrainingCheckpoint {
    let (model, file): (Sequential<Float>, SafeTensorsFile) = try ModelFile.load(contentsOf: url)
    let metadata = file.metadata
    func missing(_ key: String) -> TensorError {
      .invalidArgument(op: "TrainingCheckpoint", message: "\(url.path) has no '\(key)' metadata: it is a model file, not a training checkpoint")
    }
    let decoder = JSONDecoder()
    guard let configText = metadata["training"] else { throw missing("training") }
    var configuration = try decoder.decode(TrainingConfiguration.self, from: Data(configText.utf8))
    if let epochs { configuration.epochs = epochs }
    let trainer = try Trainer(model: model, configuration: configuration)
    guard let epochText = metadata["epoch"], let epoch = Int(epochText) else { throw missing("epoch") }
    trainer.completedEpochs = epoch
    if let historyText = metadata["history"] {
      trainer.history = try decoder.decode([EpochRecord].self, from: Data(historyText.utf8))
    }
    // Optimizer state: step counts plus every `optimizer.<name>.<slot>` tensor.
    let named = model.namedParameters
    let steps = (metadata["optimizer.steps"] ?? "").split(separator: ",").compactMap { Int($0) }
    var slots: [String: [[Float]?]] = [:]
    for (key, tensor) in file.tensors where key.hasPrefix("optimizer.") {
      let rest = key.dropFirst("optimizer.".count)
      guard let k = named.firstIndex(where: { rest.hasPrefix($0.0 + ".") }) else { continue }
      let slot = String(rest.dropFirst(named[k].0.count + 1))
      if slots[slot] == nil { slots[slot] = Array(repeating: nil, count: named.count) }
      slots[slot]![k] = try tensor.floats()
    }
    let expected = trainer.optimizer.state.slots.keys
    for name in expected where slots[name] == nil { slots[name] = Array(repeating: nil, count: named.count) }
    let parameterSteps = steps.count == named.count ? steps : Array(repeating: 0, count: named.count)
    // The schedule's position; checkpoints from before it was saved took one step per batch for
    // every parameter, so the largest per-parameter count is the same number.
    let stepCount = metadata["optimizer.step_count"].flatMap { Int($0) } ?? (parameterSteps.max() ?? 0)
    try trainer.optimizer.loadState(OptimizerState(steps: parameterSteps, slots: slots, stepCount: stepCount))
    var scaler: FeatureScaler?
    if let text = metadata[SavedModel.inputScalerKey] { scaler = try decoder.decode(FeatureScaler.self, from: Data(text.utf8)) }
    return TrainingCheckpoint(trainer: trainer, inputScaler: scaler, metadata: metadata)
  }
}
