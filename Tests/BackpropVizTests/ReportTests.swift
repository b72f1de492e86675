import BackpropNN
import BackpropViz
import Foundation
import Testing

/// The training report: HTML structure from synthetic inputs, the recorder on a real model,
/// and the PNG encoder behind the misclassified-image grid.
struct ReportTests {
  /// A report with every section filled from made-up numbers.
  static func syntheticReport() -> TrainingReport {
    var r = TrainingReport(title: "Synthetic <report>", command: "backprop train --data mnist --epochs 3 --report r.html", seed: 42)
    r.dataset = "synthetic"
    r.epochs = (1...3).map { e in
      .init(epoch: e, trainLoss: 1.0 / Double(e), trainAccuracy: 0.6 + 0.1 * Double(e), testLoss: 1.1 / Double(e),
            testAccuracy: 0.55 + 0.1 * Double(e), seconds: 1.5, learningRate: 0.1)
    }
    r.classNames = ["zero", "one", "two"]
    r.confusionMatrix = [[50, 2, 1], [3, 40, 7], [0, 5, 45]]
    r.misclassified = (0..<3).map { k in
      .init(index: k, label: k, predicted: (k + 1) % 3, confidence: 0.7,
            pixels: (0..<64).map { Float(($0 + k) % 8) / 7 }, width: 8, height: 8)
    }
    r.gradientNorms = [.init(layer: "0 Linear(64 → 16)", norms: [1e-5, 2e-5, 3e-5]), .init(layer: "2 Linear(16 → 3)", norms: [0.1, 0.2, 0.1])]
    r.weightHistograms = [.init(name: "0.weight", values: (0..<200).map { sin(Double($0)) }, bins: 20)]
    r.layers = [.init(index: 0, name: "Linear(64 → 16)", outputShape: [1, 16], parameterCount: 1040),
                .init(index: 1, name: "Sigmoid", outputShape: [1, 16], parameterCount: 0),
                .init(index: 2, name: "Linear(16 → 3)", outputShape: [1, 3], parameterCount: 51)]
    r.inputShape = [1, 64]
    return r
  }

  @Test func htmlHasEverySectionAndIsSelfContained() throws {
    let report = Self.syntheticReport()
    let html = report.html()
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    for id in ["summary", "curves", "confusion", "misclassified", "gradients", "weights", "model", "run"] {
      #expect(html.contains("<section id=\"\(id)\">"), "missing section \(id)")
    }
    #expect(html.contains("Synthetic &lt;report&gt;"))                // escaped title
    #expect(html.contains("backprop train --data mnist --epochs 3 --report r.html") && html.contains("<code>42</code>"))
    #expect(html.contains("1,091"))                                    // total parameters
    #expect(html.contains("Vanishing gradients"))                      // 1e-5 vs 0.1
    #expect(html.components(separatedBy: "data:image/png;base64,").count - 1 == 3)
    // No network and no scripts: the only URL is the SVG namespace.
    #expect(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("href="))
    let svgs = inlineSVGs(in: html)
    #expect(svgs.count == 5)  // loss, accuracy, confusion, gradient norms, one histogram
    for svg in svgs { try checkWellFormedXML(svg) }
    // The confusion matrix shows its counts; the loss chart its title.
    #expect(svgs[2].contains(">40<") && svgs[2].contains(">zero<"))
    #expect(svgs[0].contains("Loss per epoch") && svgs[3].contains("(log scale)"))
  }

  @Test func emptySectionsAreLeftOut() {
    var r = TrainingReport(command: "x", seed: 1)
    r.epochs = [.init(epoch: 1, trainLoss: 0.5)]
    let html = r.html()
    #expect(html.contains("id=\"curves\"") && !html.contains("id=\"confusion\"") && !html.contains("id=\"misclassified\""))
    #expect(!html.contains("Accuracy per epoch"))
  }

  /// A deep sigmoid MLP: the recorder's per-layer gradient norms shrink toward the input, and
  /// the report says so. (With ReLU and the same depth the ratio stays far from 1/100.)
  @Test func deepSigmoidMLPShowsVanishingGradients() throws {
    let model = try Sequential<Float>.mlp([16, 32, 32, 32, 32, 32, 32, 4], activation: .sigmoid, seed: 7)
    var rng = SeededGenerator(seed: 11)
    let x = Tensor<Float>.randomNormal([64, 16], using: &rng)
    let labels = (0..<64).map { $0 % 4 }
    let recorder = try TrainingReportRecorder(model: model, inputShape: [16], command: "test", seed: 7)
    for epoch in 1...3 {
      for _ in 0..<2 {
        model.zeroGrad()
        let loss = softmaxCrossEntropy(logits: model(x), labels: labels)
        loss.backward()
        recorder.recordGradients()
        for p in model.parameters { p.update { v in for i in v.indices { v[i] -= 0.5 * p.grad!.scalars[i] } } }
      }
      recorder.endEpoch(.init(epoch: epoch, trainLoss: 1))
    }
    try recorder.recordPredictions(logits: model(x), labels: labels) { i in x.scalars[(i * 16)..<((i + 1) * 16)].map { $0 } }
    let report = recorder.finish()
    #expect(report.gradientNorms.count == 7 && report.gradientNorms.allSatisfy { $0.norms.count == 3 })
    let first = report.gradientNorms.first!.norms[0], last = report.gradientNorms.last!.norms[0]
    #expect(first < last / 100, "first layer \(first), last layer \(last)")
    #expect(report.diagnostics.first?.hasPrefix("Vanishing gradients") == true)
    #expect(report.confusionMatrix.flatMap { $0 }.reduce(0, +) == 64)
    #expect(report.misclassified.allSatisfy { $0.width == 4 && $0.height == 4 && $0.pixels.count == 16 })  // 16 = 4×4
    #expect(report.weightHistograms.count == 14 && report.weightHistograms.allSatisfy { $0.counts.reduce(0, +) > 0 })
    #expect(report.layers.count == 13 && report.totalParameters == model.parameterCount)
    try checkWellFormedXML(inlineSVGs(in: report.html()).first!)
  }

  /// A CNN's report shows the first conv layer's filters on one grey scale (0 ↦ mid-grey) and
  /// the feature maps of one sample at every conv layer, with the shapes the layers produce.
  @Test func cnnReportShowsFiltersAndFeatureMaps() throws {
    Random.seed(3)
    let model = Sequential<Float>(Conv2d(1, 4, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(kernelSize: 2),
                                  Conv2d(4, 4, kernelSize: 3, padding: 1), ReLU(), Flatten(), Linear(64, 3))
    let recorder = try TrainingReportRecorder(model: model, inputShape: [1, 8, 8], command: "test", seed: 3)
    let sample = (0..<64).map { Float($0 % 8) / 7 }
    try recorder.recordConvolutionViews(sample: sample, index: 5)
    let report = recorder.finish()
    let filters = try #require(report.filters)
    #expect(filters.images.count == 4 && filters.images.allSatisfy { $0.width == 3 && $0.height == 3 })
    let w = model.layers[0].namedParameters[0].1.scalars
    let largest = w.map(abs).max()!
    for (k, image) in filters.images.enumerated() {
      for j in 0..<9 { #expect(abs(image.pixels[j] - (0.5 + 0.5 * w[k * 9 + j] / largest)) < 1e-6) }
    }
    let maps = try #require(report.featureMaps)
    #expect(maps.count == 2)
    #expect(maps[0].images.count == 4 && maps[0].images.allSatisfy { $0.width == 8 && $0.height == 8 })
    #expect(maps[1].images.count == 4 && maps[1].images.allSatisfy { $0.width == 4 && $0.height == 4 })
    let limited = TrainingReport.featureMaps(of: model, input: Tensor(shape: [1, 1, 8, 8], scalars: sample), channelLimit: 3)
    #expect(limited.map(\.images.count) == [3, 3] && limited[1].note.contains("0–2 of 4"))
    #expect(maps.flatMap(\.images).allSatisfy { $0.pixels.allSatisfy { (0...1).contains($0) } })
    // The first map equals conv(sample) stretched to [0, 1].
    let conv = model.layers[0](Tensor(shape: [1, 1, 8, 8], scalars: sample)).scalars[0..<64].map { $0 }
    let (lo, hi) = (conv.min()!, conv.max()!)
    for j in 0..<64 { #expect(abs(maps[0].images[0].pixels[j] - (conv[j] - lo) / (hi - lo)) < 1e-5) }
    #expect(report.featureMapSample == 5 && model.isTraining)  // back in training mode
    let html = report.html()
    #expect(html.contains("<section id=\"filters\">") && html.contains("<section id=\"feature-maps\">"))
    #expect(html.contains("Feature maps of test image #5"))
    #expect(html.components(separatedBy: "data:image/png;base64,").count - 1 == 4 + 4 + 4)
    #expect(throws: TensorError.self) { try recorder.recordConvolutionViews(sample: [1, 2, 3], index: 0) }
  }

  /// An MLP's report has neither section.
  @Test func mlpReportHasNoConvolutionViews() throws {
    let model = try Sequential<Float>.mlp([16, 8, 4], seed: 1)
    let recorder = try TrainingReportRecorder(model: model, inputShape: [16], command: "test", seed: 1)
    try recorder.recordConvolutionViews(sample: [Float](repeating: 0.5, count: 16), index: 0)
    let report = recorder.finish()
    #expect(report.filters == nil && report.featureMaps == nil)
    #expect(!report.html().contains("id=\"filters\"") && !report.html().contains("id=\"feature-maps\""))
  }

  @Test func pngHasValidChunksAndChecksums() throws {
    let data = [UInt8](PNG.encode(width: 3, height: 2, pixels: [0, 128, 255, 10, 20, 30]))
    #expect(Array(data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    var offset = 8, types: [String] = []
    while offset < data.count {
      let length = data[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
      let typed = Array(data[(offset + 4)..<(offset + 8 + length)])
      let crc = data[(offset + 8 + length)..<(offset + 12 + length)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
      #expect(crc == referenceCRC32(typed))
      types.append(String(decoding: typed.prefix(4), as: UTF8.self))
      offset += 12 + length
    }
    #expect(types == ["IHDR", "IDAT", "IEND"])
    #expect(PNG.bytes(fromIntensities: [0, 0.5, 1, 2]) == [0, 64, 128, 255])   // out of [0, 1]: stretched min…max
    #expect(PNG.bytes(fromIntensities: [0, 0.5, 1]) == [0, 128, 255])
  }

  /// Bitwise CRC-32, independent of the table-driven one in the library.
  func referenceCRC32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
      c ^= UInt32(b)
      for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
    }
    return ~c
  }
}
