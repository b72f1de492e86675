import ArgumentParser
import Backprop
import Foundation

/// `backprop eval`: the test loss and accuracy of a saved model.
struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Evaluate a saved model (ours or PyTorch's safetensors) on a data set's test split.")

  @Option(help: "The model file (.safetensors) written by `train --save` or by PyTorch.") var model: String
  @OptionGroup var data: DataOptions
  @Option(help: "Activation between Linear layers when the file does not record its architecture (PyTorch files).")
  var activation: String = "relu"
  @Option(help: ArgumentHelp("For files that do not record their architecture (PyTorch's): " + architectureHelp, valueName: "network"))
  var arch: String?
  @OptionGroup var threading: ThreadOptions
  @Flag(help: "Print one JSON object instead of text.") var json = false

  struct Report: Encodable {
    var model: String
    var dataset: String
    var samples: Int
    var loss: Double
    var accuracy: Double?
    var seconds: Double
  }

  func run() throws {
    try threading.apply()
    let url = URL(fileURLWithPath: model)
    // The file's data pipeline (label column, task, split, scaler), unless options replace it.
    let pipeline = try data.resolved(with: try SafeTensorsFile(contentsOf: url).metadata, path: model)
    let source = pipeline.source
    var unscaled: TrainingData?  // loaded only when --arch needs the data's sample shape (a file without architecture)
    let saved = try loadSavedModel(model, arch: arch, activation: activation) {
      if unscaled == nil { unscaled = try data.load(pipeline) }
      return unscaled!.sampleShape
    }
    let loaded = try unscaled.flatMap { saved.inputScaler == nil ? $0 : nil } ?? data.load(pipeline, inputScaler: saved.inputScaler)
    try checkModelFits(saved.model, loaded, file: model)
    let kind: LossKind = loaded.test.task == .classification ? .crossEntropy : .meanSquaredError
    let e = try evaluate(saved.model, on: loaded.test, loss: kind)
    let report = Report(model: model, dataset: source, samples: e.count, loss: e.loss, accuracy: e.accuracy, seconds: e.seconds)
    if json { return try printJSON(report) }
    let accuracy = e.accuracy.map { "accuracy \(percent($0)) (\(Int(($0 * Double(e.count)).rounded()))/\(e.count)), " } ?? ""
    print("\(model) on \(source) test split: \(accuracy)loss \(String(format: "%.4f", e.loss)), \(String(format: "%.3f", e.seconds)) s")
  }
}
