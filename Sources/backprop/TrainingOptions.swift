import ArgumentParser
import Backprop
import Foundation

/// Where the data comes from: `--dataset`, `--data-dir`, and CSV details.
struct DataOptions: ParsableArguments {
  @Option(help: "digits (shipped), fashion-mnist, or a path to a CSV file.")
  var dataset: String?

  @Option(help: "Directory holding Fashion-MNIST's IDX files (default: /usr/share/datasets/fashion-mnist).")
  var dataDir: String?

  @Option(help: "CSV only: the label column, a 0-based index (negative counts from the end) or a header name.")
  var labelColumn: String = "-1"

  @Flag(help: "CSV only: the label column is a real-valued regression target.")
  var regression = false

  @Option(help: "CSV only: fraction of rows held out for testing.")
  var testFraction: Double = 0.2

  /// The label column as the data module understands it.
  var labelColumnValue: LabelColumn { Int(labelColumn).map(LabelColumn.index) ?? .name(labelColumn) }

  /// Loads the data set (with a saved scaler when given) or throws a one-line error.
  func load(source: String, inputScaler: FeatureScaler? = nil) throws -> TrainingData {
    try TrainingData.load(
      source, dataDirectory: dataDir.map { URL(fileURLWithPath: $0) }, task: regression ? .regression : .classification,
      labelColumn: labelColumnValue, testFraction: testFraction, inputScaler: inputScaler)
  }
}

/// The network: `--layers`, `--activation`, `--dropout`, `--init`.
struct ModelOptions: ParsableArguments {
  @Option(help: "Layer sizes from input to output, e.g. 784,256,128,10 (default depends on the data set).")
  var layers: String?

  @Option(help: "Hidden activation: \(LayerSpec.activationNames.joined(separator: ", ")).")
  var activation: String?

  @Option(help: "Dropout probability after each hidden activation.")
  var dropout: Double?

  @Option(name: .customLong("init"), help: "Weight initializer: \(Initializer.names.joined(separator: ", ")).")
  var initializer: String?

  /// Whether any option here was given (they cannot change when resuming).
  var anyGiven: Bool { layers != nil || activation != nil || dropout != nil || initializer != nil }

  /// Builds the MLP for `data`, seeded with `seed`.
  func makeModel(for data: TrainingData, seed: UInt64) throws -> Sequential<Float> {
    let sizes = try layers.map { try parseSizes($0) } ?? data.defaultLayerSizes
    guard sizes.first == data.featureCount, sizes.last == data.outputCount else {
      throw CommandError("--layers \(sizes.map(String.init).joined(separator: ",")) does not fit the data: "
        + "it has \(data.featureCount) inputs and \(data.outputCount) outputs")
    }
    guard let act = LayerSpec(activationName: activation ?? "relu") else {
      throw CommandError("--activation: unknown '\(activation!)' (use \(LayerSpec.activationNames.joined(separator: ", ")))")
    }
    guard let initializer = Initializer(name: initializer ?? "pytorch") else {
      throw CommandError("--init: unknown '\(self.initializer!)' (use \(Initializer.names.joined(separator: ", ")))")
    }
    let p = dropout ?? 0
    guard p >= 0, p < 1 else { throw CommandError("--dropout must be in [0, 1), got \(p)") }
    return try Sequential<Float>.mlp(sizes, activation: act, dropout: p, initializer: initializer, seed: seed)
  }
}

/// Parses `784,256,10` into layer sizes.
func parseSizes(_ text: String) throws -> [Int] {
  let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
  let sizes = parts.compactMap { Int($0) }
  guard sizes.count == parts.count, sizes.count >= 2, sizes.allSatisfy({ $0 > 0 }) else {
    throw CommandError("--layers: '\(text)' is not a list of at least two positive sizes like 64,128,10")
  }
  return sizes
}

/// The optimisation settings; unset options take data-set defaults (or the checkpoint's).
struct OptimizationOptions: ParsableArguments {
  @Option(help: "Optimizer: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")).")
  var optimizer: String?
  @Option(help: "Learning rate (default: the optimizer's usual one).")
  var lr: Double?
  @Option(help: "Momentum for momentum/nesterov (default 0.9).")
  var momentum: Double?
  @Option(help: "Weight decay (L2; decoupled for adamw, default 0.01 there).")
  var weightDecay: Double?
  @Option(help: "Learning-rate schedule: \(ScheduleKind.allCases.map(\.rawValue).joined(separator: ", ")).")
  var schedule: String?
  @Option(help: "Epochs of linear warm-up before the schedule.")
  var warmupEpochs: Int?
  @Option(help: "Clip gradients to this global L2 norm.")
  var clipNorm: Double?
  @Option(help: "Batch size.")
  var batchSize: Int?
  @Option(help: "Seed for weights, shuffling and dropout.")
  var seed: UInt64?

  /// Whether any option here was given (they cannot change when resuming).
  var anyGiven: Bool {
    optimizer != nil || lr != nil || momentum != nil || weightDecay != nil || schedule != nil || warmupEpochs != nil
      || clipNorm != nil || batchSize != nil || seed != nil
  }

  /// The configuration: data-set defaults overridden by the options given.
  func configuration(source: String, epochs: Int?) throws -> TrainingConfiguration {
    var c = TrainingConfiguration.recommended(for: source)
    if let optimizer {
      guard let kind = OptimizerKind(rawValue: optimizer.lowercased()) else {
        throw CommandError("--optimizer: unknown '\(optimizer)' (use \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")))")
      }
      if kind != c.optimizer { c.learningRate = nil }
      c.optimizer = kind
    }
    if let schedule {
      guard let kind = ScheduleKind(rawValue: schedule.lowercased()) else {
        throw CommandError("--schedule: unknown '\(schedule)' (use \(ScheduleKind.allCases.map(\.rawValue).joined(separator: ", ")))")
      }
      c.schedule = kind
    }
    if let lr { c.learningRate = lr }
    if let momentum { c.momentum = momentum }
    if let weightDecay { c.weightDecay = weightDecay }
    if let warmupEpochs { c.warmupEpochs = warmupEpochs }
    if let clipNorm { c.clipNorm = clipNorm }
    if let batchSize { c.batchSize = batchSize }
    if let seed { c.seed = seed }
    if let epochs { c.epochs = epochs }
    do { try c.validate() } catch let e as TensorError { throw CommandError(e.description) }
    return c
  }
}

/// `--threads`: how many threads the kernels (matrix products and elementwise loops) use.
struct ThreadOptions: ParsableArguments {
  @Option(help: "Threads for the kernels (default: BACKPROP_THREADS or all cores).")
  var threads: Int?

  /// Makes the compute settings with `--threads` those of the whole command (the process).
  func apply() throws {
    if let threads {
      guard threads >= 1 else { throw CommandError("--threads must be at least 1, got \(threads)") }
      ComputeSettings(threadCount: threads).makeGlobal()
    }
  }
}

/// An error in what the user asked for, found while running: printed as one line
/// (`Error: …`) without the usage text that `ValidationError` adds.
struct CommandError: Error, CustomStringConvertible {
  /// The message.
  let description: String
  init(_ message: String) { description = message }
}
