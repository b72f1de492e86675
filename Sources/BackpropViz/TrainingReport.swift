import BackpropNN

/// Everything a training report shows, as plain data: fill it from any training loop (or let
/// `TrainingReportRecorder` fill it), then write it with `html()`.
///
/// It is `Codable`, so a run can also save it as JSON and render it later.
public struct TrainingReport: Codable, Sendable {
  /// Metrics of one epoch.
  public struct Epoch: Codable, Sendable, Equatable {
    /// The epoch number, from 1.
    public var epoch: Int
    /// Mean training loss over the epoch.
    public var trainLoss: Double
    /// Training accuracy (classification).
    public var trainAccuracy: Double?
    /// Loss on the test (evaluation) set after the epoch.
    public var testLoss: Double?
    /// Accuracy on the test set after the epoch.
    public var testAccuracy: Double?
    /// Seconds the epoch took.
    public var seconds: Double?
    /// Learning rate at the end of the epoch.
    public var learningRate: Double?

    /// One epoch's metrics.
    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double? = nil, testLoss: Double? = nil,
                testAccuracy: Double? = nil, seconds: Double? = nil, learningRate: Double? = nil) {
      (self.epoch, self.trainLoss, self.trainAccuracy, self.testLoss) = (epoch, trainLoss, trainAccuracy, testLoss)
      (self.testAccuracy, self.seconds, self.learningRate) = (testAccuracy, seconds, learningRate)
    }
  }

  /// A test sample the model got wrong, with its pixels so that the report can draw it.
  public struct Misclassified: Codable, Sendable, Equatable {
    /// Index of the sample in the test set.
    public var index: Int
    /// The true class.
    public var label: Int
    /// The predicted class.
    public var predicted: Int
    /// The predicted class's probability, if known.
    public var confidence: Double?
    /// Row-major pixels: `width × height` grey values, or `width × height × 3` RGB values.
    /// Values in [0, 1] are drawn as they are; other ranges are stretched per image.
    public var pixels: [Float]
    /// Image width in pixels.
    public var width: Int
    /// Image height in pixels.
    public var height: Int

    /// A misclassified sample.
    public init(index: Int, label: Int, predicted: Int, confidence: Double? = nil, pixels: [Float], width: Int, height: Int) {
      (self.index, self.label, self.predicted, self.confidence) = (index, label, predicted, confidence)
      (self.pixels, self.width, self.height) = (pixels, width, height)
    }
  }

  /// The norm of one layer's gradient, ‖∂L/∂θ_layer‖, averaged over each epoch's batches.
  public struct GradientSeries: Codable, Sendable, Equatable {
    /// The layer, e.g. `0 Linear(784 → 128)`.
    public var layer: String
    /// One value per epoch, starting at `firstEpoch`.
    public var norms: [Double]
    /// The epoch of `norms[0]` (after a resumed run, not 1).
    public var firstEpoch: Int

    /// A layer's series.
    public init(layer: String, norms: [Double], firstEpoch: Int = 1) {
      (self.layer, self.norms, self.firstEpoch) = (layer, norms, firstEpoch)
    }
  }

  /// A histogram of one parameter tensor's values.
  public struct Histogram: Codable, Sendable, Equatable {
    /// The parameter's name, e.g. `0.weight`.
    public var name: String
    /// Left edge of the first bin.
    public var lower: Double
    /// Right edge of the last bin.
    public var upper: Double
    /// Counts per equal-width bin.
    public var counts: [Int]
    /// Mean of the values.
    public var mean: Double
    /// Standard deviation of the values.
    public var standardDeviation: Double

    /// A histogram of `values` in `bins` equal bins between their min and max.
    public init(name: String, values: [Double], bins: Int = 30) {
      self.name = name
      let lo = values.min() ?? 0, hi = values.max() ?? 0
      let width = hi > lo ? (hi - lo) / Double(bins) : 1
      var counts = [Int](repeating: 0, count: max(bins, 1))
      for v in values where v.isFinite { counts[min(max(Int((v - lo) / width), 0), counts.count - 1)] += 1 }
      let mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
      let variance = values.isEmpty ? 0 : values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
      (self.lower, self.upper, self.counts, self.mean, self.standardDeviation) = (lo, hi > lo ? hi : lo + 1, counts, mean, variance.squareRoot())
    }
  }

  /// One line of the model summary.
  public struct LayerRow: Codable, Sendable, Equatable {
    /// Position in the network.
    public var index: Int
    /// The layer's description, e.g. `Linear(784 → 128)`.
    public var name: String
    /// Output shape for one sample.
    public var outputShape: [Int]
    /// Trainable scalars.
    public var parameterCount: Int

    /// A summary row.
    public init(index: Int, name: String, outputShape: [Int], parameterCount: Int) {
      (self.index, self.name, self.outputShape, self.parameterCount) = (index, name, outputShape, parameterCount)
    }
  }

  /// The page title.
  public var title: String = "Training report"
  /// The exact command line of the run.
  public var command: String = ""
  /// The seed of the run.
  public var seed: UInt64 = 0
  /// The data set's name.
  public var dataset: String?
  /// Per-epoch metrics, in order.
  public var epochs: [Epoch] = []
  /// Class names for the confusion matrix (defaults to 0, 1, …).
  public var classNames: [String] = []
  /// Counts: row = true class, column = predicted class (test set, after the last epoch).
  public var confusionMatrix: [[Int]] = []
  /// Some misclassified test samples.
  public var misclassified: [Misclassified] = []
  /// Per-layer gradient norms over training.
  public var gradientNorms: [GradientSeries] = []
  /// Histograms of the trained weights.
  public var weightHistograms: [Histogram] = []
  /// The model summary.
  public var layers: [LayerRow] = []
  /// Input shape used for the summary (batch of 1).
  public var inputShape: [Int] = []
  /// A CNN's first-layer filters as images (`TrainingReportRecorder.recordConvolutionViews`).
  public var filters: ImageGrid?
  /// A CNN's feature maps of one test sample, one grid per `Conv2d`.
  public var featureMaps: [ImageGrid]?
  /// The test-set index of the sample whose feature maps are shown.
  public var featureMapSample: Int?
  /// Free-form lines shown under the run details (optimizer, learning rate, …).
  public var notes: [String] = []

  /// An empty report; fill in the fields you have (sections without data are left out).
  public init(title: String = "Training report", command: String = "", seed: UInt64 = 0) {
    (self.title, self.command, self.seed) = (title, command, seed)
  }

  /// Total trainable parameters of the model summary.
  public var totalParameters: Int { layers.reduce(0) { $0 + $1.parameterCount } }

  /// Observations worth a sentence: vanishing or exploding gradients across the layers.
  ///
  /// Compares the first and last layers' mean gradient norms over training: a ratio below
  /// 1/100 is reported as vanishing, above 100 as exploding.
  public var diagnostics: [String] {
    guard gradientNorms.count >= 2 else { return [] }
    func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }
    let (first, last) = (gradientNorms.first!, gradientNorms.last!)
    let (a, b) = (mean(first.norms), mean(last.norms))
    guard a > 0, b > 0 else { return [] }
    let ratio = a / b
    /// `1330` → `1,330`; small factors keep three significant digits.
    func factor(_ x: Double) -> String { x >= 100 ? groupedThousands(Int(x.rounded())) : formatNumber(x, digits: 3) }
    if ratio < 0.01 {
      return ["Vanishing gradients: the first layer (\(first.layer)) gets gradients \(factor(1 / ratio))× smaller "
        + "than the last (\(last.layer)), so it learns far more slowly. Saturating activations (sigmoid, tanh) in a deep "
        + "network cause this; ReLU, better initialisation or normalisation help."]
    }
    if ratio > 100 {
      return ["Exploding gradients: the first layer (\(first.layer)) gets gradients \(factor(ratio))× larger "
        + "than the last (\(last.layer)). Lower the learning rate, clip gradients (--clip-norm) or rescale the initial weights."]
    }
    return []
  }
}
