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
/// | `history`          | the `EpochRecord`s so far, as JSON, timings set to 0      |
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
    // No wall-clock timings: two identical runs must write identical bytes.
    metadata["history"] = try json(trainer.history.map(\.withoutTimings))
    if let inputScaler { metadata[SavedModel.inputScalerKey] = try json(inputScaler) }
    precondition(trainer.dataParallel?.shardedStateIsStale != true,
                 "TrainingCheckpoint.save: after sharded steps each rank's optimizer state is current only on its shards; "
                   + "call dataParallel.completeState(of: optimizer) on every rank first")
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
    var metadata = data.pipelineMetadata
    metadata[SavedModel.datasetKey] = data.source
    metadata[SavedModel.taskKey] = data.train.task == .classification ? "classification" : "regression"
    if let names = data.train.classNames { metadata[SavedModel.classNamesKey] = names.joined(separator: "\n") }
    try save(trainer, to: url, inputScaler: data.inputScaler, extraMetadata: metadata)
  }

  /// Loads a checkpoint written by `save`, ready to continue training.
  ///
  /// Every field is checked before it is used, and a bad one is reported as one line naming the
  /// file: `training` must decode and validate, `epoch` must lie in 0…`training.epochs`, the
  /// history must hold one record per completed epoch, and every optimizer buffer that a
  /// parameter with steps needs must be present (a silently reset buffer would make the resume
  /// inexact) and finite, as must the weights.
  ///
  /// - Parameter epochs: a new total number of epochs (to train further than planned), or `nil`
  ///   to keep the saved one.
  /// - Throws: `DataError` naming the file for an unreadable, damaged or incomplete checkpoint,
  ///   or for a plain model file without training state.
  public static func load(contentsOf url: URL, epochs: Int? = nil) throws -> TrainingCheckpoint {
    let (model, file): (Sequential<Float>, SafeTensorsFile) = try ModelFile.load(contentsOf: url)
    let metadata = file.metadata
    func bad(_ reason: String) -> DataError { .malformed(path: url.path, reason: reason) }
    func missing(_ key: String) -> DataError {
      bad("has no '\(key)' metadata: it is a model file, not a training checkpoint")
    }
    let decoder = JSONDecoder()
    guard let configText = metadata["training"] else { throw missing("training") }
    var configuration: TrainingConfiguration
    do { configuration = try decoder.decode(TrainingConfiguration.self, from: Data(configText.utf8)) } catch {
      throw bad("the 'training' metadata is not valid training settings (\(decodingSummary(error)))")
    }
    do { try configuration.validate() } catch let e as TensorError { throw bad("'training' metadata: \(e.withoutOperation)") }
    guard let epochText = metadata["epoch"] else { throw missing("epoch") }
    guard let epoch = Int(epochText), (0...configuration.epochs).contains(epoch) else {
      throw bad("'epoch' metadata is '\(epochText)'; it must be a whole number in 0…\(configuration.epochs) (the run's epochs)")
    }
    if let epochs { configuration.epochs = epochs }
    let trainer: Trainer
    do { trainer = try Trainer(model: model, configuration: configuration) } catch let e as TensorError {
      throw TensorError.invalidArgument(op: "--epochs", message: e.withoutOperation)
    }
    trainer.completedEpochs = epoch
    if let historyText = metadata["history"] {
      do { trainer.history = try decoder.decode([EpochRecord].self, from: Data(historyText.utf8)) } catch {
        throw bad("the 'history' metadata is not a list of epoch records (\(decodingSummary(error)))")
      }
      guard trainer.history.count == epoch else {
        throw bad("'history' holds \(trainer.history.count) epochs but 'epoch' says \(epoch)")
      }
    }
    // Optimizer state: step counts plus every `optimizer.<name>.<slot>` tensor.
    let named = model.namedParameters
    let stepsText = metadata["optimizer.steps"] ?? ""
    let steps = stepsText.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
    guard steps.count == named.count, steps.allSatisfy({ ($0 ?? -1) >= 0 }) else {
      throw bad("'optimizer.steps' is '\(stepsText)'; it must be \(named.count) whole numbers ≥ 0, one per parameter")
    }
    var slots: [String: [[Float]?]] = [:]
    for (key, tensor) in file.tensors where key.hasPrefix("optimizer.") {
      let rest = key.dropFirst("optimizer.".count)
      guard let k = named.firstIndex(where: { rest.hasPrefix($0.0 + ".") }) else { continue }
      let slot = String(rest.dropFirst(named[k].0.count + 1))
      let values = try tensor.floats()
      guard values.count == named[k].1.count else {
        throw bad("tensor '\(key)' has \(values.count) values; parameter '\(named[k].0)' has \(named[k].1.count)")
      }
      guard values.allSatisfy(\.isFinite) else { throw bad("tensor '\(key)' holds NaN or infinity") }
      if slots[slot] == nil { slots[slot] = Array(repeating: nil, count: named.count) }
      slots[slot]![k] = values
    }
    for name in trainer.optimizer.state.slots.keys {
      if slots[name] == nil { slots[name] = Array(repeating: nil, count: named.count) }
      for (k, (parameter, _)) in named.enumerated() where steps[k]! > 0 && slots[name]![k] == nil {
        throw bad("has no tensor 'optimizer.\(parameter).\(name)' though that parameter took \(steps[k]!) steps; the resume would not be exact")
      }
    }
    let parameterSteps = steps.map { $0! }
    // The schedule's position; checkpoints from before it was saved took one step per batch for
    // every parameter, so the largest per-parameter count is the same number.
    let stepText = metadata["optimizer.step_count"]
    let stepCount = stepText.map { Int($0) } ?? (parameterSteps.max() ?? 0)
    guard let stepCount, stepCount >= 0 else { throw bad("'optimizer.step_count' is '\(stepText ?? "")'; it must be a whole number ≥ 0") }
    do {
      try trainer.optimizer.loadState(OptimizerState(steps: parameterSteps, slots: slots, stepCount: stepCount))
    } catch let e as TensorError { throw bad("optimizer state: \(e.withoutOperation)") }
    var scaler: FeatureScaler?
    if let text = metadata[SavedModel.inputScalerKey] {
      do { scaler = try decoder.decode(FeatureScaler.self, from: Data(text.utf8)) } catch {
        throw bad("the '\(SavedModel.inputScalerKey)' metadata is not a feature scaler (\(decodingSummary(error)))")
      }
    }
    return TrainingCheckpoint(trainer: trainer, inputScaler: scaler, metadata: metadata)
  }
}

/// A short, one-line account of a JSON decoding error (no type names, no debug dump).
func decodingSummary(_ error: Error) -> String {
  guard let error = error as? DecodingError else { return "not valid JSON" }
  func path(_ keys: [CodingKey]) -> String { keys.isEmpty ? "the top level" : "'" + keys.map(\.stringValue).joined(separator: ".") + "'" }
  switch error {
  case let .keyNotFound(key, context): return "\(path(context.codingPath + [key])) is missing"
  case let .typeMismatch(_, context), let .valueNotFound(_, context): return "\(path(context.codingPath)) has the wrong type"
  case let .dataCorrupted(context):
    return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context.codingPath)) has an invalid value"
  @unknown default: return "not valid JSON"
  }
}

extension TensorError {
  /// The message without the `op:` prefix, for errors reported against a file or an option.
  fileprivate var withoutOperation: String {
    if case let .invalidArgument(_, message) = self { return message }
    return description
  }
}
