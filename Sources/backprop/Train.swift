import ArgumentParser
import Backprop
import Foundation

/// `backprop train`: trains an MLP by backpropagation and reports test accuracy.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a network by backpropagation: an MLP, or a CNN with --arch (default: the shipped handwritten digits).",
    discussion: """
      With no options: a 64-128-64-10 ReLU network, SGD with momentum (lr 0.05), 30 epochs on the UCI digits (1,437 training, \
      360 test images). --save writes the model and training state after every epoch (safetensors, \
      loadable by PyTorch); --resume continues from such a file exactly where it stopped.
      --arch cnn trains Conv2d(1,32,3,pad 1)-ReLU-MaxPool(2)-Conv2d(32,64,3,pad 1)-ReLU-MaxPool(2)-Flatten-Linear(128)-ReLU-Linear(10); \
      --arch lenet5 trains LeNet-5 (images of 16x16 or more); any other --arch text lists layers, e.g. \
      --arch "conv(32,3,pad=1) batchnorm relu maxpool(2) conv(64,3,pad=1) batchnorm relu maxpool(2) flatten linear(128) relu linear(10)". \
      The data's sample shape is the input shape; the saved model records both, so eval and predict need no --arch. \
      For a CNN on Fashion-MNIST add --optimizer momentum --lr 0.05 (that data set's defaults are the MLP recipe, SGD at 0.1).
      """)

  @OptionGroup var data: DataOptions
  @OptionGroup var model: ModelOptions
  @OptionGroup var optimization: OptimizationOptions
  @OptionGroup var threading: ThreadOptions
  @Option(parsing: .unconditional, help: "Total epochs (default: 30 for digits, 10 for fashion-mnist, 20 for CSV files; when resuming: train up to this many).")
  var epochs: Int?
  @Option(help: "Save the model and training state here after every epoch (atomically).") var save: String?
  @Option(help: "Continue from a checkpoint written by --save, with its settings and data pipeline.") var resume: String?
  @Option(parsing: .unconditional, help: "Stop after this epoch, keeping the schedule of --epochs (continue later with --resume).")
  var stopAfter: Int?
  @Option(parsing: .unconditional, help: "Train on the first N training samples only (a quick run or a benchmark; not with --save or --resume).")
  var limit: Int?
  @Flag(help: "Print only the final summary.") var quiet = false
  @Flag(help: "Print one JSON object at the end instead of text.") var json = false
  @Flag(help: "Stop at the first NaN or infinity in a forward or backward computation, naming the op, where it was created and its input shapes (slower).")
  var detectAnomaly = false
  @OptionGroup var viz: TrainVizOptions
  @OptionGroup var parallel: DistributedOptions

  /// Checks the counts and output paths before anything is loaded or trained.
  func validate() throws {
    let most = TrainingConfiguration.maximumEpochs
    if let epochs, !(1...most).contains(epochs) { throw CommandError("--epochs must be ≥ 1 and ≤ \(most), got \(epochs)") }
    if let stopAfter, !(1...most).contains(stopAfter) { throw CommandError("--stop-after must be ≥ 1 and ≤ \(most), got \(stopAfter)") }
    if let save { try checkOutputPath(save, option: "--save") }
    if let limit {
      guard limit >= 1 else { throw CommandError("--limit must be ≥ 1, got \(limit)") }
      guard save == nil, resume == nil else { throw CommandError("--limit cannot be combined with --save or --resume (a checkpoint records the whole data set)") }
    }
    if let report = viz.report { try checkOutputPath(report, option: "--report") }
    try optimization.validateRanges()
    try parallel.validate()
  }

  func run() throws {
    try threading.apply()
    guard let world = try parallel.join() else { return try train(world: nil) }
    do {
      try train(world: world)
    } catch let error as DistributedError {
      // Every rank found it (a collective decided): print one line, then end MPI cleanly (its
      // finalize waits for every rank, so no rank is killed before printing), exit ≠ 0.
      FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
      if case .rankLost = error {} else { world.finalize() }  // a lost rank would never join
      Foundation.exit(1)
    }
    world.finalize()
  }

  /// Trains, as one rank of `world` when given (only rank 0 prints and saves).
  func train(world: Communicator?) throws {
    let (trainer, data) = try prepare(ranks: world?.size ?? 1)
    let isRoot = (world?.rank ?? 0) == 0
    if let world {
      let group = try parallel.group(trainer.model, world)
      try trainer.distribute(over: group, configurationText: configurationText(trainer, data))
      trainer.checksReplicasEveryStep = parallel.checkReplicas
      trainer.shardsOptimizerStep = parallel.shardedUpdate
    }
    guard trainer.completedEpochs < trainer.configuration.epochs else {
      throw CommandError("\(resume ?? "the checkpoint") has already trained all \(plural(trainer.configuration.epochs, "epoch")); "
        + "pass --epochs with more to continue (nothing was trained or saved)")
    }
    let bar = ProgressBar(quiet: quiet || json || !isRoot)
    if bar.verbose { try printHeader(trainer, data) }
    if isRoot { try viz.explainFirstBatch(trainer, data, toStandardError: json) }
    let recorder = try isRoot ? viz.makeRecorder(trainer, data) : nil
    let start = monotonicSeconds(), scheduledAtStart = SchedulerTimes.now()
    let last = min(trainer.configuration.epochs, stopAfter ?? .max)
    let save = isRoot ? self.save : nil
    var records: [EpochRecord] = []
    while trainer.completedEpochs < last {
      let epoch = {
        try trainer.fit(on: data.train, evaluatingOn: data.test, stoppingAfter: trainer.completedEpochs + 1,
                        progress: { bar.handle($0); recorder?.handle($0) })
      }
      do {
        records += try detectAnomaly ? withAnomalyDetection(epoch) : epoch()
      } catch let error where error is TrainingError || error is CommunicatorError || error is DistributedError {
        // A lost rank, a diverged run: one line, naming the checkpoint that stays (rank 0 writes
        // it, atomically, so it is the last complete epoch). No MPI_Finalize: a lost rank never joins.
        bar.finish()
        let kept = self.save.map { path in trainer.completedEpochs > 0 ? "; \(path) keeps epoch \(trainer.completedEpochs)" : "" } ?? ""
        throw CommandError("\(error)" + kept)
      }
      if let save { try TrainingCheckpoint.save(trainer, data: data, to: URL(fileURLWithPath: save)) }
    }
    var digest: String?
    if let group = trainer.dataParallel {
      try group.checkReplicasIdentical()
      digest = hex(group.weightDigest())
    }
    let scheduledAtEnd = SchedulerTimes.now()
    let scheduled = scheduledAtStart.flatMap { before in
      scheduledAtEnd.map { (running: $0.running - before.running, waiting: $0.waiting - before.waiting) }
    }
    let rankPhases = try RankPhases.gather(trainer, scheduler: scheduled)
    guard isRoot else { return }
    var report = try TrainReport(trainer: trainer, records: records, data: data, seconds: monotonicSeconds() - start, savedTo: self.save)
    if let world, let digest, let group = trainer.dataParallel {
      (report.ranks, report.weights_digest) = (world.size, digest)
      report.buckets = group.bucketSizes.count
      report.gradient_blocks = group.gradientBlocks
      report.buckets_reduced_in_place = group.bucketsReducedInPlace
      report.buckets_started_during_backward = Double(group.bucketsStarted.duringBackward) / Double(max(1, group.bucketsStarted.total))
      report.exposed_communication_seconds = group.exposedCommunicationSeconds
      report.mpi_wait = Communicator.waitMode
      report.reduction = group.reducesInSharedMemory ? "shared memory" : "MPI_Iallreduce"
      report.first_gradient_written_to_shared_memory = group.firstGradientWrittenToSharedMemory
      report.sharded_update = trainer.shardedOptimizerStep
    }
    if let scheduled { (report.cpu_seconds, report.runqueue_wait_seconds) = (scheduled.running, scheduled.waiting) }
    report.rank_phases = rankPhases
    if let recorder { printError(try recorder.write(trainer, data)) }
    if json { try printJSON(report) } else { print(report.summary) }
  }

  /// What every rank must agree on besides the training settings: the model and the data.
  func configurationText(_ trainer: Trainer, _ data: TrainingData) -> String {
    let layers = trainer.model.architecture.map { LayerSpec.architectureString($0) } ?? "custom"
    return "model \(layers) \(trainer.model.parameterCount); data \(data.source) \(data.train.count)/\(data.test.count) "
      + "\(data.featureCount)→\(data.outputCount); limit \(limit.map(String.init) ?? "-"); stop after \(stopAfter.map(String.init) ?? "-"); resume \(resume != nil)"
  }

  /// A new trainer (model from the options) or one restored from `--resume` (with the data
  /// pipeline the checkpoint records), and its data.
  func prepare(ranks: Int) throws -> (Trainer, TrainingData) {
    if let resume {
      guard !model.anyGiven, !optimization.anyGiven, !parallel.scaleLr else {
        throw CommandError("--resume continues with the checkpoint's model and optimizer settings; only --epochs, --stop-after, --save and output options can be given")
      }
      let checkpoint = try TrainingCheckpoint.load(contentsOf: URL(fileURLWithPath: resume), epochs: epochs)
      let saved = checkpoint.trainer.configuration.ranks
      guard saved == ranks else {
        throw CommandError("--resume: \(resume) was trained on \(plural(saved, "rank")); resume it on as many "
          + (saved == 1 ? "(without --distributed)" : "(mpirun -np \(saved) backprop train --distributed …)") + ", not \(ranks)")
      }
      let pipeline = try data.resolved(with: checkpoint.metadata, path: resume)
      let loaded = try data.load(pipeline, inputScaler: checkpoint.inputScaler)
      try checkModelFits(checkpoint.trainer.model, loaded, file: resume)
      return (checkpoint.trainer, loaded)
    }
    let pipeline = data.pipeline
    var loaded = try data.load(pipeline)
    if let limit, limit < loaded.train.count { loaded.train = try loaded.train.subset(indices: Array(0..<limit)) }
    var configuration = try optimization.configuration(source: pipeline.source, epochs: epochs)
    (configuration.ranks, configuration.scalesLearningRateWithRanks) = (ranks, parallel.scaleLr)
    do { try configuration.validate() } catch { throw CommandError("\(error)") }
    if configuration.augmentation != nil, loaded.sampleShape.count != 3 {
      throw CommandError("--augment \(optimization.augment!) needs images of shape [channels, height, width]; \(loaded.source) samples have shape \(loaded.sampleShape)")
    }
    let network = try model.makeModel(for: loaded, seed: configuration.seed)
    return (try Trainer(model: network, configuration: configuration), loaded)
  }

  func printHeader(_ trainer: Trainer, _ data: TrainingData) throws {
    let c = trainer.configuration
    print("Data: \(data.source): \(data.train.count) training and \(data.test.count) test samples, \(data.featureCount) features, "
      + (data.train.task == .classification ? "\(data.train.classCount) classes" : "\(data.outputCount) targets"))
    print(try trainer.model.summary(inputShape: [data.featureCount]))
    var line = "Training: \(c.optimizer.rawValue), lr \(fmt(c.resolvedLearningRate, 4)), batch \(c.batchSize), \(plural(c.epochs, "epoch")), seed \(c.seed)"
    if c.ranks > 1 || trainer.dataParallel != nil {
      line += ", \(plural(c.ranks, "rank")) (global batch \(c.globalBatchSize)\(c.scalesLearningRateWithRanks ? ", lr × \(c.ranks)" : ""))"
    }
    if c.schedule != .constant { line += ", \(c.schedule.rawValue) schedule" }
    if c.warmupEpochs > 0 { line += ", \(plural(c.warmupEpochs, "warm-up epoch"))" }
    if let a = c.augmentation { line += ", augmented (\(a.description))" }
    if trainer.completedEpochs > 0 { line += " (resuming after epoch \(trainer.completedEpochs))" }
    print(line)
  }
}

/// The final summary of `backprop train`, as text or JSON.
struct TrainReport: Encodable {
  var dataset: String
  var layers: String
  var parameters: Int
  var optimizer: String
  var epochs: Int
  var test_accuracy: Double?
  var test_loss: Double
  var train_loss: Double
  var train_accuracy: Double?
  var seconds: Double
  var epoch_seconds: [Double]
  var samples_per_second: Double
  var saved_to: String?
  /// Under `--distributed`: the number of ranks and the weights' digest (equal on all of them).
  var ranks: Int?
  var weights_digest: String?
  /// Under `--distributed`: gradient buckets, the fraction of their allreduces started while
  /// backward still ran, and the seconds spent waiting for them after backward (rank 0).
  var buckets: Int?
  /// Of those, the buckets of one parameter reduced in place in its `.grad` (no packing; last step).
  var buckets_reduced_in_place: Int?
  var buckets_started_during_backward: Double?
  var exposed_communication_seconds: Double?
  /// Under `--distributed`: how ranks wait for each other (`Communicator.waitMode`).
  var mpi_wait: String?
  /// Under `--distributed`: the row blocks the first layer's weight gradient is reduced in.
  var gradient_blocks: Int?
  /// Under `--distributed`: how gradients are summed (`shared memory` when every rank is on
  /// this host, else `MPI_Iallreduce`).
  var reduction: String?
  /// Under `--distributed`: whether the first layer's weight gradient was written by its GEMM
  /// straight into the memory the ranks share (the default on one host).
  var first_gradient_written_to_shared_memory: Bool?
  /// Under `--distributed`: whether the large parameters' optimizer step was sharded across the
  /// ranks (`Trainer.shardsOptimizerStep`; `BACKPROP_SHARDED_UPDATE=off` turns it off).
  var sharded_update: Bool?
  /// Seconds this process (rank 0) spent on a core, and runnable but waiting for one (Linux
  /// schedstat), from the start of training to the end of the last epoch: a loaded machine
  /// shows as waiting.
  var cpu_seconds: Double?
  var runqueue_wait_seconds: Double?
  /// Every rank's time per phase of each epoch, and its time on and waiting for a core.
  var rank_phases: [RankPhases]?

  /// The summary after `records`, the epochs this invocation ran (checkpoints keep no
  /// timings, so a resumed run times only its own epochs).
  init(trainer: Trainer, records: [EpochRecord], data: TrainingData, seconds: Double, savedTo: String?) throws {
    let evaluation = try evaluate(trainer.model, on: data.test, loss: trainer.lossKind(for: data.test))
    let history = trainer.history
    dataset = data.source
    layers = trainer.model.architecture.map { LayerSpec.architectureString($0) } ?? "custom"
    parameters = trainer.model.parameterCount
    optimizer = trainer.configuration.optimizer.rawValue
    epochs = trainer.completedEpochs
    (test_accuracy, test_loss) = (evaluation.accuracy, evaluation.loss)
    train_loss = history.last?.trainLoss ?? .nan
    train_accuracy = history.last?.trainAccuracy
    self.seconds = seconds
    epoch_seconds = records.map(\.seconds)
    let trained = records.map(\.seconds).reduce(0, +)
    samples_per_second = trained > 0 ? Double(data.train.count * records.count) / trained : 0
    saved_to = savedTo
  }

  var summary: String {
    var s = test_accuracy.map { "Test accuracy \(percent($0))" } ?? "Test loss \(fmt(test_loss, 5))"
    s += " · train loss \(String(format: "%.4f", train_loss)) · \(plural(epochs, "epoch")) in \(String(format: "%.1f", seconds)) s"
    let mean = epoch_seconds.isEmpty ? 0 : epoch_seconds.reduce(0, +) / Double(epoch_seconds.count)
    s += " (\(String(format: "%.3f", mean)) s/epoch, \(groupedThousands(Int(samples_per_second))) samples/s)"
    if let ranks, let weights_digest { s += "\nWeights digest \(weights_digest), identical on all \(ranks) ranks" }
    if let saved_to { s += "\nSaved to \(saved_to)" }
    return s
  }
}

/// `1 epoch`, `2 epochs`.
func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

/// Throws unless `model` takes `data`'s samples and gives its outputs (checked before any op runs).
func checkModelFits(_ model: Sequential<Float>, _ data: TrainingData, file: String) throws {
  let shape = model.inputShape ?? [data.featureCount]
  let inputs = shape.reduce(1, *)
  guard inputs == data.featureCount else {
    let what = shape.count > 1 ? "samples of shape \(shape) (\(inputs) values)" : "\(inputs) inputs"
    throw CommandError("\(file): the model takes \(what) but \(data.source) has \(data.featureCount) features")
  }
  let output: [Int]?
  do { output = try model.checkInput(shape: shape) } catch let error as TensorError {
    throw CommandError("\(file): the model does not take \(data.source)'s samples of shape \(shape): \(error)")
  }
  guard let output, let outputs = output.last else { return }
  guard output.count == 1, outputs == data.outputCount else {
    throw CommandError("\(file): the model gives \(output.count == 1 ? "\(outputs)" : "shape \(output)") outputs but \(data.source) needs \(data.outputCount)"
      + (data.train.task == .classification ? " (classes)" : " (targets)"))
  }
}
