import ArgumentParser
import Backprop
import Foundation

/// Where the data comes from: `--dataset`, `--data-dir`, and CSV details.
///
/// A checkpoint or model file records its data pipeline (source, task, label column, test
/// fraction, split seed, input scaler); `resolved(with:)` fills the options left out from it, and
/// refuses an option that contradicts it for the same source.
struct DataOptions: ParsableArguments {
  @Option(help: "digits (shipped), fashion-mnist, or a path to a CSV file.")
  var dataset: String?

  @Option(help: "Directory holding Fashion-MNIST's IDX files (default: /usr/share/datasets/fashion-mnist).")
  var dataDir: String?

  @Option(parsing: .unconditional,
          help: "CSV only: the label column, a 0-based index (negative counts from the end) or a header name (default: -1, the last).")
  var labelColumn: String?

  @Flag(help: "CSV only: the label column is a real-valued regression target.")
  var regression = false

  @Option(parsing: .unconditional, help: "CSV only: fraction of rows held out for testing (default: 0.2).")
  var testFraction: Double?

  /// The data pipeline to load: the options, with what a saved file recorded for the rest.
  struct Pipeline: Equatable {
    var source: String
    var regression: Bool
    var labelColumn: String
    var testFraction: Double
    var splitSeed: UInt64
  }

  /// The pipeline from the options alone (a new training run).
  var pipeline: Pipeline {
    Pipeline(source: dataset ?? "digits", regression: regression, labelColumn: labelColumn ?? "-1",
             testFraction: testFraction ?? 0.2, splitSeed: 0)
  }

  /// The pipeline recorded in `metadata` (of the file at `path`), with options given here
  /// filling in or, for another source, replacing it.
  /// - Throws: `CommandError` when an option contradicts the file for the same source, or the
  ///   file's pipeline metadata is damaged.
  func resolved(with metadata: [String: String], path: String) throws -> Pipeline {
    let savedSource = metadata[SavedModel.datasetKey]
    let source = dataset ?? savedSource ?? "digits"
    // Another data set than the file's: the file's CSV details do not apply to it.
    guard source == savedSource else { return Pipeline(source: source, regression: regression, labelColumn: labelColumn ?? "-1", testFraction: testFraction ?? 0.2, splitSeed: 0) }
    var p = pipeline
    p.source = source
    if let task = metadata[SavedModel.taskKey] {
      guard task == "classification" || task == "regression" else { throw CommandError("\(path): 'task' metadata is '\(task)'") }
      if regression && task == "classification" {
        throw CommandError("--regression contradicts \(path), which was trained for classification on \(source); leave it out")
      }
      p.regression = task == "regression"
    }
    if let saved = metadata[SavedModel.labelColumnKey] {
      if let labelColumn, labelColumn != saved {
        throw CommandError("--label-column \(labelColumn) contradicts \(path), which was trained with label column \(saved); leave it out")
      }
      p.labelColumn = saved
    }
    if let text = metadata[SavedModel.testFractionKey] {
      guard let saved = Double(text), saved > 0, saved < 1 else { throw CommandError("\(path): 'test_fraction' metadata is '\(text)'") }
      if let testFraction, testFraction != saved {
        throw CommandError("--test-fraction \(testFraction) contradicts \(path), which was trained with test fraction \(saved); leave it out")
      }
      p.testFraction = saved
    }
    if let text = metadata[SavedModel.splitSeedKey] {
      guard let seed = UInt64(text) else { throw CommandError("\(path): 'split_seed' metadata is '\(text)'") }
      p.splitSeed = seed
    }
    return p
  }

  /// Loads the data set of `pipeline` (with a saved scaler when given) or throws a one-line error.
  func load(_ pipeline: Pipeline, inputScaler: FeatureScaler? = nil) throws -> TrainingData {
    guard pipeline.testFraction > 0 && pipeline.testFraction < 1 else {
      throw CommandError("--test-fraction must be in (0, 1), got \(pipeline.testFraction)")
    }
    let column = Int(pipeline.labelColumn).map(LabelColumn.index) ?? .name(pipeline.labelColumn)
    return try TrainingData.load(
      pipeline.source, dataDirectory: dataDir.map { URL(fileURLWithPath: $0) }, task: pipeline.regression ? .regression : .classification,
      labelColumn: column, testFraction: pipeline.testFraction, splitSeed: pipeline.splitSeed, inputScaler: inputScaler)
  }
}

/// The network: `--arch`, or the MLP of `--layers`, `--activation`, `--dropout`; and `--init`.
struct ModelOptions: ParsableArguments {
  @Option(help: ArgumentHelp(architectureHelp, valueName: "network"))
  var arch: String?

  @Option(help: "Layer sizes from input to output, e.g. 784,256,128,10 (default: 64,128,64,10 for digits, 784,256,128,10 for fashion-mnist, features,64,outputs for CSV files).")
  var layers: String?

  @Option(help: "Hidden activation: \(LayerSpec.activationNames.joined(separator: ", ")).")
  var activation: String?

  @Option(parsing: .unconditional, help: "Dropout probability after each hidden activation.")
  var dropout: Double?

  @Option(name: .customLong("init"), help: "Weight initializer: \(Initializer.names.joined(separator: ", ")).")
  var initializer: String?

  /// Whether any option here was given (they cannot change when resuming).
  var anyGiven: Bool { arch != nil || layers != nil || activation != nil || dropout != nil || initializer != nil }

  /// Builds the network for `data` (`--arch`, else the MLP of `--layers`), seeded with `seed`.
  func makeModel(for data: TrainingData, seed: UInt64) throws -> Sequential<Float> {
    guard isMLP(arch) else { return try makeNetwork(arch!, for: data, seed: seed) }
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

  /// The network `arch` describes for `data`'s sample shape; flat rows reach it in that shape.
  func makeNetwork(_ arch: String, for data: TrainingData, seed: UInt64) throws -> Sequential<Float> {
    let mlpOnly = [("--layers", layers != nil), ("--activation", activation != nil), ("--dropout", dropout != nil)]
    if let (option, _) = mlpOnly.first(where: \.1) {
      throw CommandError("\(option) describes --arch mlp; write the layers into --arch instead (e.g. 'linear(128) relu dropout(0.2)')")
    }
    guard let initializer = Initializer(name: initializer ?? "pytorch") else {
      throw CommandError("--init: unknown '\(self.initializer!)' (use \(Initializer.names.joined(separator: ", ")))")
    }
    let specs = try architectureSpecs(arch, inputShape: data.sampleShape, outputCount: data.outputCount, dataName: data.source)
    let model = try Sequential<Float>(architecture: specs, initializer: initializer, seed: seed)
    model.inputShape = data.sampleShape
    return model
  }
}

/// The widest layer `--layers` accepts, and the most parameters (weights and biases) a network
/// may have: 2²⁸ Floats are 1 GiB, before gradients and optimizer buffers.
let maximumLayerWidth = 1 << 20, maximumParameterCount = 1 << 28

/// Parses `784,256,10` into layer sizes, each at most `maximumLayerWidth`, with at most
/// `maximumParameterCount` parameters in all (computed without overflow).
func parseSizes(_ text: String, option: String = "--layers") throws -> [Int] {
  let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
  let sizes = parts.compactMap { Int($0) }
  guard sizes.count == parts.count, sizes.count >= 2, sizes.allSatisfy({ $0 > 0 }) else {
    throw CommandError("\(option): '\(text)' is not a list of at least two positive sizes like 64,128,10")
  }
  if let wide = sizes.first(where: { $0 > maximumLayerWidth }) {
    throw CommandError("\(option): a layer of \(wide) units is too wide (at most \(maximumLayerWidth))")
  }
  // Each size ≤ 2²⁰, so one layer's (n + 1)·m ≤ 2⁴¹ and the sum of a few million layers fits in Int.
  let parameters = zip(sizes, sizes.dropFirst()).reduce(0) { $0 + ($1.0 + 1) * $1.1 }
  guard parameters <= maximumParameterCount else {
    throw CommandError("\(option): \(text) has \(groupedThousands(parameters)) parameters; at most \(groupedThousands(maximumParameterCount)) are allowed")
  }
  return sizes
}

/// The optimisation settings; unset options take data-set defaults (or the checkpoint's).
struct OptimizationOptions: ParsableArguments {
  @Option(help: "Optimizer: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")).")
  var optimizer: String?
  @Option(parsing: .unconditional, help: "Learning rate (default: 0.05 for digits, else the optimizer's usual one: 0.1 for sgd/momentum/nesterov, 0.001 for adam/adamw, 0.01 for rmsprop).")
  var lr: Double?
  @Option(parsing: .unconditional, help: "Momentum for momentum/nesterov (default 0.9).")
  var momentum: Double?
  @Option(parsing: .unconditional, help: "Weight decay (L2; decoupled for adamw, default 0.01 there).")
  var weightDecay: Double?
  @Option(help: "Learning-rate schedule: \(ScheduleKind.allCases.map(\.rawValue).joined(separator: ", ")).")
  var schedule: String?
  @Option(parsing: .unconditional, help: "Epochs of linear warm-up before the schedule.")
  var warmupEpochs: Int?
  @Option(parsing: .unconditional, help: "Clip gradients to this global L2 norm.")
  var clipNorm: Double?
  @Option(parsing: .unconditional, help: "Batch size (default: 32 for digits, 128 for fashion-mnist, 64 for CSV files).")
  var batchSize: Int?
  @Option(parsing: .unconditional, help: "Seed for weights, shuffling, dropout and augmentation.")
  var seed: UInt64?
  @Option(help: ArgumentHelp("Augment training images: shift (random shifts by up to 2 pixels, zero fill; shift=N for N), "
    + "flip (random horizontal flips), or both: shift,flip. Seeded; test images are never changed.", valueName: "list"))
  var augment: String?

  /// Checks the options' ranges, naming the option, before any data is loaded.
  func validateRanges() throws {
    func check(_ ok: Bool, _ message: @autoclosure () -> String) throws { if !ok { throw CommandError(message()) } }
    if let lr { try check(lr > 0 && lr.isFinite, "--lr must be positive and finite, got \(lr)") }
    if let momentum { try check((0..<1).contains(momentum), "--momentum must be in [0, 1), got \(momentum)") }
    if let weightDecay { try check(weightDecay >= 0 && weightDecay.isFinite, "--weight-decay must be finite and ≥ 0, got \(weightDecay)") }
    if let clipNorm { try check(clipNorm > 0 && clipNorm.isFinite, "--clip-norm must be positive and finite, got \(clipNorm)") }
    let maxEpochs = TrainingConfiguration.maximumEpochs, maxBatch = TrainingConfiguration.maximumBatchSize
    if let warmupEpochs { try check((0...maxEpochs).contains(warmupEpochs), "--warmup-epochs must be ≥ 0 and ≤ \(maxEpochs), got \(warmupEpochs)") }
    if let batchSize { try check((1...maxBatch).contains(batchSize), "--batch-size must be ≥ 1 and ≤ \(maxBatch), got \(batchSize)") }
  }

  /// Whether any option here was given (they cannot change when resuming).
  var anyGiven: Bool {
    optimizer != nil || lr != nil || momentum != nil || weightDecay != nil || schedule != nil || warmupEpochs != nil
      || clipNorm != nil || batchSize != nil || seed != nil || augment != nil
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
    if let augment {
      do { c.augmentation = try Augmentation(parsing: augment) } catch let TensorError.invalidArgument(_, message) {
        throw CommandError("--augment: \(message)")
      }
    }
    do { try c.validate() } catch let e as TensorError {
      if case let .invalidArgument(_, message) = e { throw CommandError(message) }
      throw CommandError(e.description)
    }
    return c
  }
}

/// `--threads`: how many threads the kernels (matrix products and elementwise loops) use.
struct ThreadOptions: ParsableArguments {
  @Option(parsing: .unconditional, help: "Threads for the kernels (default: BACKPROP_THREADS or all cores).")
  var threads: Int?

  /// Makes the compute settings with `--threads` those of the whole command (the process).
  func apply() throws {
    if let threads {
      guard (1...256).contains(threads) else { throw CommandError("--threads must be ≥ 1 and ≤ 256, got \(threads)") }
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
