import ArgumentParser
import Backprop
import Foundation

/// `backprop train --report FILE` and `--explain` (BackpropViz). The training loop is the
/// `Trainer`'s; this only listens to its progress events and reads the model afterwards.
struct TrainVizOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Write a self-contained HTML report: loss and accuracy curves, confusion matrix, misclassified "
    + "test images, per-layer gradient norms, weight histograms, model summary, command and seed.", valueName: "file"))
  var report: String?

  @Flag(help: ArgumentHelp("Before training, explain the backward pass of the first batch (evaluation mode, so the run is "
    + "unchanged): each node's vector–Jacobian product, shapes and Jacobian structure."))
  var explain = false

  /// Prints the explanation of one batch's backward pass (to standard error with `--json`).
  func explainFirstBatch(_ trainer: Trainer, _ data: TrainingData, toStandardError: Bool) throws {
    guard explain else { return }
    let model = trainer.model
    let wasTraining = model.isTraining
    model.eval()  // dropout off: its generators must not advance, or the run would change
    defer { model.isTraining = wasTraining; model.zeroGrad() }
    let batch = data.train.batch(Array(0..<min(trainer.configuration.batchSize, data.train.count)))
    let x = try Tensor<Float>(shape: [batch.count, batch.featureCount], scalars: batch.features)
    x.label = "x"
    let output = try model(x)
    let loss = try batchLoss(output, batch, kind: trainer.lossKind(for: data.train))
    loss.label = "L"
    let text = try BackpropViz.explain(loss, parameterNames: model.namedParameters).text + "\n"
    if toStandardError { printError(text) } else { print(text) }
  }

  /// A listener that records the report, or `nil` without `--report`.
  func makeRecorder(_ trainer: Trainer, _ data: TrainingData) throws -> TrainingRecorderHook? {
    guard let report else { return nil }
    let command = CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    let recorder = try TrainingReportRecorder<Float>(
      model: trainer.model, inputShape: [data.train.featureCount], command: command, seed: trainer.configuration.seed,
      title: "Training report: \(data.source)", dataset: "\(data.source) (\(data.train.count) train / \(data.test.count) test)",
      classNames: data.train.classNames ?? [])
    let c = trainer.configuration
    recorder.addNote("\(c.optimizer.rawValue), learning rate \(c.resolvedLearningRate), batch size \(c.batchSize), "
      + "\(plural(c.epochs, "epoch")), \(c.schedule.rawValue) schedule" + (c.clipNorm.map { ", gradients clipped to \($0)" } ?? ""))
    for r in trainer.history { recorder.endEpoch(TrainingRecorderHook.epoch(r)) }  // resumed: earlier epochs
    return TrainingRecorderHook(recorder: recorder, path: report)
  }
}

/// Feeds `Trainer` events to a `TrainingReportRecorder` and writes the report at the end.
final class TrainingRecorderHook {
  let recorder: TrainingReportRecorder<Float>
  let path: String

  init(recorder: TrainingReportRecorder<Float>, path: String) {
    self.recorder = recorder
    self.path = path
  }

  /// The `Trainer.fit` progress callback: after each batch the parameters still hold that
  /// batch's gradients (the optimizer does not clear them), so their norms are read here.
  func handle(_ event: TrainingEvent) {
    switch event {
    case .batch: recorder.recordGradients()
    case let .epoch(r): recorder.endEpoch(Self.epoch(r))
    }
  }

  /// Test-set predictions (confusion matrix, misclassified images), weight histograms, and the file.
  /// - Returns: a line saying where the report went.
  func write(_ trainer: Trainer, _ data: TrainingData) throws -> String {
    let model = trainer.model
    let wasTraining = model.isTraining
    model.eval()
    defer { model.isTraining = wasTraining }
    if data.test.task == .classification && data.test.classCount > 1 && trainer.lossKind(for: data.test) == .crossEntropy {
      try withoutGradient {
        for start in stride(from: 0, to: data.test.count, by: 512) {
          let batch = data.test.batch(Array(start..<min(start + 512, data.test.count)))
          let logits = try model(Tensor(shape: [batch.count, batch.featureCount], scalars: batch.features))
          try recorder.recordPredictions(logits: logits, labels: batch.labels, firstIndex: start) { Array(data.test.features(at: $0)) }
        }
      }
    }
    try AtomicFile.write(Data(recorder.finish().html().utf8), to: URL(fileURLWithPath: path))
    return "Report written to \(path)"
  }

  /// A `Trainer` epoch record as the report's epoch metrics.
  static func epoch(_ r: EpochRecord) -> TrainingReport.Epoch {
    .init(epoch: r.epoch, trainLoss: r.trainLoss, trainAccuracy: r.trainAccuracy, testLoss: r.evaluationLoss,
          testAccuracy: r.evaluationAccuracy, seconds: r.seconds, learningRate: r.learningRate)
  }
}
