import BackpropNN
import Foundation

/// Fills a `TrainingReport` from a model while it trains, through three calls a training loop
/// can make from its callbacks:
///
/// ```swift
/// let recorder = try TrainingReportRecorder(model: model, inputShape: [784], command: cmd, seed: 0)
/// // after each backward pass (the parameters' .grad hold this batch's gradient):
/// recorder.recordGradients()
/// // after each epoch:
/// recorder.endEpoch(.init(epoch: 1, trainLoss: 0.41, trainAccuracy: 0.88, testLoss: 0.30, testAccuracy: 0.91))
/// // after the last epoch, for each test batch:
/// try recorder.recordPredictions(logits: model(x), labels: y, firstIndex: start) { i in testPixels(i) }
/// try recorder.finish().html().write(toFile: "report.html", atomically: true, encoding: .utf8)
/// ```
public final class TrainingReportRecorder<Scalar: TensorScalar> {
  /// The model being trained.
  public let model: any Layer<Scalar>
  /// The report so far.
  public private(set) var report: TrainingReport
  /// Parameters grouped by layer, with the layer's display name.
  private let groups: [(name: String, parameters: [Tensor<Scalar>])]
  private var normSums: [Double]
  private var batchCount = 0
  /// Image size for misclassified samples (width, height), when the inputs are images.
  private let imageSize: (width: Int, height: Int)?
  /// How many misclassified samples to keep.
  public var misclassifiedLimit = 24
  /// One sample's shape, batch axis included (`[1] + inputShape`).
  private let sampleShape: [Int]

  /// Starts a report for `model`: the model summary (for a `Sequential`, computed with
  /// `inputShape`), the command and the seed.
  /// - Parameters:
  ///   - inputShape: one sample's shape, e.g. `[784]`.
  ///   - imageSize: width and height to draw samples as images; by default a square input
  ///     (784 → 28×28) is drawn as a grey image and other inputs are not drawn.
  /// - Throws: the model's shape error if `inputShape` does not fit.
  public init(model: any Layer<Scalar>, inputShape: [Int], command: String, seed: UInt64, title: String = "Training report",
              dataset: String? = nil, classNames: [String] = [], imageSize: (width: Int, height: Int)? = nil) throws {
    self.model = model
    var report = TrainingReport(title: title, command: command, seed: seed)
    (report.dataset, report.classNames, report.inputShape) = (dataset, classNames, [1] + inputShape)
    var groups: [(name: String, parameters: [Tensor<Scalar>])] = []
    if let sequential = model as? Sequential<Scalar> {
      report.layers = try sequential.summary(inputShape: inputShape).rows.map {
        TrainingReport.LayerRow(index: $0.index, name: $0.name, outputShape: $0.outputShape, parameterCount: $0.parameterCount)
      }
      for (i, layer) in sequential.layers.enumerated() where !layer.namedParameters.isEmpty {
        groups.append(("\(i) \(layer.summaryName)", layer.parameters))
      }
    } else {
      report.layers = [.init(index: 0, name: model.summaryName, outputShape: [], parameterCount: model.parameterCount)]
      for (name, p) in model.namedParameters {
        let layer = name.split(separator: ".").dropLast().joined(separator: ".")
        if let i = groups.firstIndex(where: { $0.name == layer }) { groups[i].parameters.append(p) } else { groups.append((layer.isEmpty ? name : layer, [p])) }
      }
    }
    self.report = report
    self.sampleShape = report.inputShape
    self.groups = groups
    normSums = [Double](repeating: 0, count: groups.count)
    let features = inputShape.reduce(1, *)
    let side = Int(Double(features).squareRoot().rounded())
    self.imageSize = imageSize ?? (side * side == features && side > 1 ? (side, side) : nil)
  }

  /// Adds each layer's gradient norm ‖∂L/∂θ_layer‖ (all its parameters together) from the
  /// parameters' current `.grad`. Call after `backward()` and before the gradients are cleared.
  public func recordGradients() {
    for (i, group) in groups.enumerated() {
      var squares = 0.0
      for p in group.parameters { if let g = p.grad { for v in g.scalars { squares += Double(v) * Double(v) } } }
      normSums[i] += squares.squareRoot()
    }
    batchCount += 1
  }

  /// Closes an epoch: stores its metrics and the mean gradient norms of the batches recorded since the last call.
  public func endEpoch(_ epoch: TrainingReport.Epoch) {
    report.epochs.append(epoch)
    guard batchCount > 0 else { return }
    if report.gradientNorms.isEmpty { report.gradientNorms = groups.map { .init(layer: $0.name, norms: [], firstEpoch: epoch.epoch) } }
    for i in groups.indices { report.gradientNorms[i].norms.append(normSums[i] / Double(batchCount)) }
    normSums = [Double](repeating: 0, count: groups.count)
    batchCount = 0
  }

  /// Adds one batch of test predictions to the confusion matrix and keeps the first
  /// misclassified samples with their pixels.
  /// - Parameters:
  ///   - logits: `[batch, classes]` scores.
  ///   - labels: the true classes.
  ///   - firstIndex: the test-set index of the batch's first sample.
  ///   - pixels: the input of test sample `i`, to draw it (called only for kept mistakes).
  /// - Throws: `TensorError.invalidArgument` when the shapes disagree.
  public func recordPredictions(logits: Tensor<Scalar>, labels: [Int], firstIndex: Int = 0, pixels: (Int) -> [Float]? = { _ in nil }) throws {
    guard logits.rank == 2, logits.shape[0] == labels.count, logits.shape[1] > 0 else {
      throw TensorError.invalidArgument(op: "recordPredictions", message: "needs logits [batch, classes] and one label per row, got \(logits.shape) and \(labels.count) labels")
    }
    let k = logits.shape[1]
    if report.confusionMatrix.count < k {
      report.confusionMatrix = (0..<k).map { i in (0..<k).map { j in i < report.confusionMatrix.count ? report.confusionMatrix[i][j] : 0 } }
    }
    for (r, label) in labels.enumerated() {
      let row = logits.scalars[(r * k)..<((r + 1) * k)].map(Double.init)
      let predicted = row.indices.max { row[$0] < row[$1] } ?? 0
      guard label >= 0 && label < k else { continue }
      report.confusionMatrix[label][predicted] += 1
      guard predicted != label, report.misclassified.count < misclassifiedLimit else { continue }
      let peak = row[predicted]
      let confidence = 1 / row.reduce(0) { $0 + Foundation.exp($1 - peak) }
      let image = imageSize.flatMap { size in pixels(firstIndex + r).map { (size, $0) } }
      report.misclassified.append(.init(index: firstIndex + r, label: label, predicted: predicted, confidence: confidence,
                                        pixels: image?.1 ?? [], width: image?.0.width ?? 0, height: image?.0.height ?? 0))
    }
  }

  /// The finished report, with histograms of every weight matrix (and bias) as trained.
  public func finish(histogramBins: Int = 30) -> TrainingReport {
    var result = report
    result.weightHistograms = model.namedParameters.map { TrainingReport.Histogram(name: $0.0, values: $0.1.doubleValues, bins: histogramBins) }
    return result
  }

  /// Adds the views of a convolutional network: the first `Conv2d`'s filters as images and the
  /// feature maps of one test sample at every `Conv2d`. A model without convolutions (or that is
  /// not a `Sequential`) adds nothing.
  /// - Parameters:
  ///   - sample: one test sample's values, as many as the input shape the recorder started with.
  ///   - index: the sample's index in the test set, for the heading.
  /// - Throws: `TensorError.invalidArgument` when `sample` has the wrong number of values.
  public func recordConvolutionViews(sample: [Scalar], index: Int) throws {
    guard sample.count == sampleShape.reduce(1, *) else {
      throw TensorError.invalidArgument(op: "recordConvolutionViews", message: "the sample has \(sample.count) values; the model's input \(sampleShape.dropFirst().map { $0 }) needs \(sampleShape.reduce(1, *))")
    }
    guard let sequential = model as? Sequential<Scalar>, let filters = TrainingReport.firstLayerFilters(of: sequential) else { return }
    report.filters = filters
    report.featureMaps = TrainingReport.featureMaps(of: sequential, input: Tensor(shape: sampleShape, scalars: sample))
    report.featureMapSample = index
  }

  /// Adds a line to the report's run details (optimizer, learning rate, data sizes…).
  public func addNote(_ line: String) { report.notes.append(line) }
}
