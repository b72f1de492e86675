import BackpropData
import BackpropNN
import BackpropViz
import Foundation
import Testing

/// Writes a real training report (an MLP with sigmoid hidden layers trained on the shipped 8×8
/// digits) when `BACKPROP_SAMPLE_REPORT` names an output file. `scripts/check-report.sh` uses
/// it to screenshot a report; it is skipped in ordinary test runs.
struct SampleReportTests {
  static let outputPath = ProcessInfo.processInfo.environment["BACKPROP_SAMPLE_REPORT"]

  @Test(.enabled(if: outputPath != nil, "set BACKPROP_SAMPLE_REPORT=report.html to write a sample report"))
  func writeSampleReport() throws {
    let train = try Dataset.digits(split: .train), test = try Dataset.digits(split: .test)
    // BACKPROP_SAMPLE_DEPTH=3 gives three sigmoid hidden layers: the gradients then vanish and the
    // network does not learn in 20 epochs, which the report diagnoses.
    let depth = Int(ProcessInfo.processInfo.environment["BACKPROP_SAMPLE_DEPTH"] ?? "") ?? 2
    let (epochs, batchSize, learningRate, seed): (Int, Int, Float, UInt64) = (20, 32, 1.0, 0)
    let sizes = [64] + Array(repeating: 32, count: depth) + [10]
    let model = try Sequential<Float>.mlp(sizes, activation: .sigmoid, seed: seed)
    let command = "BACKPROP_SAMPLE_DEPTH=\(depth) swift test --filter SampleReportTests   # MLP \(sizes), sigmoid, SGD lr \(learningRate), batch \(batchSize), \(epochs) epochs"
    let recorder = try TrainingReportRecorder(model: model, inputShape: [64], command: command, seed: seed,
                                              title: "Training report: digits (8×8), sigmoid MLP", dataset: "UCI digits (1,437 train / 360 test)",
                                              classNames: (0...9).map(String.init))
    recorder.addNote("SGD, learning rate \(learningRate), batch size \(batchSize); inputs scaled to [0, 1] (÷16)")
    func tensor(_ d: Dataset, _ indices: [Int]) throws -> Tensor<Float> {
      Tensor(shape: [indices.count, 64], scalars: indices.flatMap { d.features(at: $0).map { $0 / 16 } })
    }
    func evaluate(_ d: Dataset) throws -> (loss: Double, accuracy: Double) {
      let all = Array(0..<d.count)
      let logits = try withoutGradient { try model(tensor(d, all)) }
      let loss = softmaxCrossEntropy(logits: logits, labels: d.labels)
      let correct = zip(logits.argmax(alongAxis: 1), d.labels).filter { $0.0 == $0.1 }.count
      return (Double(loss.item), Double(correct) / Double(d.count))
    }
    var rng = SeededGenerator(seed: seed)
    for epoch in 1...epochs {
      let start = Date()
      var order = Array(0..<train.count); order.shuffle(using: &rng)
      for batchStart in stride(from: 0, to: order.count, by: batchSize) {
        let indices = Array(order[batchStart..<min(batchStart + batchSize, order.count)])
        model.zeroGrad()
        let loss = try softmaxCrossEntropy(logits: model(tensor(train, indices)), labels: indices.map { train.labels[$0] })
        loss.backward()
        recorder.recordGradients()
        for p in model.parameters {
          let g = p.grad!.scalars
          p.update { v in for i in v.indices { v[i] -= learningRate * g[i] } }
        }
      }
      let (trainLoss, trainAccuracy) = try evaluate(train), (testLoss, testAccuracy) = try evaluate(test)
      recorder.endEpoch(.init(epoch: epoch, trainLoss: trainLoss, trainAccuracy: trainAccuracy, testLoss: testLoss,
                              testAccuracy: testAccuracy, seconds: Date().timeIntervalSince(start), learningRate: Double(learningRate)))
    }
    let all = Array(0..<test.count)
    try recorder.recordPredictions(logits: withoutGradient { try model(tensor(test, all)) }, labels: test.labels) { i in
      test.features(at: i).map { $0 / 16 }
    }
    let report = recorder.finish()
    try report.html().write(toFile: Self.outputPath!, atomically: true, encoding: .utf8)
    #expect(report.epochs.count == epochs && !report.misclassified.isEmpty)
  }
}
