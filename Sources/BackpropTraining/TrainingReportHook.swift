import BackpropCore
import BackpropData
import BackpropIO
import BackpropNN
import BackpropViz
import Foundation

/// Feeds `Trainer` events to a `TrainingReportRecorder` and writes the HTML report at the end:
/// the glue between the training loop and the report (`backprop train --report FILE`).
///
/// ```swift
/// let hook = try TrainingReportHook(trainer: trainer, data: data, command: "…", path: "report.html")
/// try trainer.fit(on: data.train, evaluatingOn: data.test, progress: hook.handle)
/// print(try hook.write(trainer, data))
/// ```
public final class TrainingReportHook {
  /// The recorder that collects curves, gradient norms and predictions.
  public let recorder: TrainingReportRecorder<Float>
  /// Where `write` puts the report.
  public let path: String

  /// A hook around an existing recorder.
  public init(recorder: TrainingReportRecorder<Float>, path: String) {
    self.recorder = recorder
    self.path = path
  }

  /// A report for `trainer`'s model on `data`, noting the configuration; epochs already in the
  /// trainer's history (a resumed run) are recorded first.
  /// - Parameter command: the command line shown in the report.
  /// - Throws: shape errors when the model does not accept `data`'s inputs.
  public convenience init(trainer: Trainer, data: TrainingData, command: String, path: String) throws {
    let recorder = try TrainingReportRecorder<Float>(
      model: trainer.model, inputShape: trainer.model.inputShape ?? [data.train.featureCount], command: command, seed: trainer.configuration.seed,
      title: "Training report: \(data.source)", dataset: "\(data.source) (\(data.train.count) train / \(data.test.count) test)",
      classNames: data.train.classNames ?? [])
    let c = trainer.configuration
    recorder.addNote("\(c.optimizer.rawValue), learning rate \(c.resolvedLearningRate), batch size \(c.batchSize), "
      + "\(c.epochs) epoch\(c.epochs == 1 ? "" : "s"), \(c.schedule.rawValue) schedule" + (c.clipNorm.map { ", gradients clipped to \($0)" } ?? ""))
    for r in trainer.history { recorder.endEpoch(Self.epoch(r)) }  // resumed: earlier epochs
    self.init(recorder: recorder, path: path)
  }

  /// The `Trainer.fit` progress callback: after each batch the parameters still hold that
  /// batch's gradients (the optimizer does not clear them), so their norms are read here.
  public func handle(_ event: TrainingEvent) {
    switch event {
    case .batch: recorder.recordGradients()
    case let .epoch(r): recorder.endEpoch(Self.epoch(r))
    }
  }

  /// Records test-set predictions (confusion matrix, misclassified images), weight histograms
  /// and, for a CNN, its first-layer filters and the first test image's feature maps, then
  /// writes the file.
  /// - Returns: a line saying where the report went.
  /// - Throws: `DataError.ioFailed` when the file cannot be written.
  public func write(_ trainer: Trainer, _ data: TrainingData) throws -> String {
    let model = trainer.model
    try checkInputWidth(of: model, fits: data.test)
    let wasTraining = model.isTraining
    model.eval()
    defer { model.isTraining = wasTraining }
    if data.test.task == .classification && data.test.classCount > 1 && trainer.lossKind(for: data.test) == .crossEntropy {
      try withoutGradient {
        for start in stride(from: 0, to: data.test.count, by: 512) {
          let batch = data.test.batch(Array(start..<min(start + 512, data.test.count)))
          let logits = model(Tensor(shape: [batch.count, batch.featureCount], scalars: batch.features))
          try recorder.recordPredictions(logits: logits, labels: batch.labels, firstIndex: start) { Array(data.test.features(at: $0)) }
        }
      }
    }
    if data.test.count > 0 {  // a CNN's filters and the first test image's feature maps (nothing for an MLP)
      try withoutGradient { try recorder.recordConvolutionViews(sample: Array(data.test.features(at: 0)), index: 0) }
    }
    try AtomicFile.write(Array(recorder.finish().html().utf8), to: URL(fileURLWithPath: path))
    return "Report written to \(path)"
  }

  /// A `Trainer` epoch record as the report's epoch metrics.
  public static func epoch(_ r: EpochRecord) -> TrainingReport.Epoch {
    .init(epoch: r.epoch, trainLoss: r.trainLoss, trainAccuracy: r.trainAccuracy, testLoss: r.evaluationLoss,
          testAccuracy: r.evaluationAccuracy, seconds: r.seconds, learningRate: r.learningRate)
  }
}

extension Trainer {
  /// The explanation of the backward pass of the first batch of `data.train` (each node's
  /// vector–Jacobian product, shapes and Jacobian structure), computed in evaluation mode so
  /// that dropout generators do not advance and the run is unchanged; gradients are cleared after.
  /// - Throws: shape errors when the model does not accept the data.
  public func explainFirstBatch(of data: TrainingData) throws -> String {
    try checkInputWidth(of: model, fits: data.train)
    let wasTraining = model.isTraining
    model.eval()  // dropout off: its generators must not advance, or the run would change
    defer { model.isTraining = wasTraining; model.zeroGrad() }
    let batch = data.train.batch(Array(0..<min(configuration.batchSize, data.train.count)))
    let x = Tensor<Float>(shape: [batch.count, batch.featureCount], scalars: batch.features)
    x.label = "x"
    let output = model(x)
    let loss = try batchLoss(output, batch, kind: lossKind(for: data.train))
    loss.label = "L"
    return BackpropViz.explain(loss, parameterNames: model.namedParameters).text
  }
}
