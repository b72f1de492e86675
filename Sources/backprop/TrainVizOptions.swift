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
    let text = try trainer.explainFirstBatch(of: data) + "\n"
    if toStandardError { printError(text) } else { print(text) }
  }

  /// A listener that records the report, or `nil` without `--report`.
  func makeRecorder(_ trainer: Trainer, _ data: TrainingData) throws -> TrainingReportHook? {
    guard let report else { return nil }
    let command = CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    return try TrainingReportHook(trainer: trainer, data: data, command: command, path: report)
  }
}
