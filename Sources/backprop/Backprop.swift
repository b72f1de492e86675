import ArgumentParser
import Foundation
import Backprop

/// The `backprop` command: train networks by backpropagation and show how it works.
@main
struct BackpropCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backprop",
    abstract: "Train neural networks by backpropagation, and see the chain rule at work.",
    version: BackpropVersion.string,
    subcommands: [
      // The main job: train, evaluate and use models.
      TrainCommand.self, EvalCommand.self, PredictCommand.self, LMCommand.self,
      // The study note's procedure and examples.
      StepCommand.self, ChainRuleCommand.self, VectorChainRuleCommand.self, JacobianShapesCommand.self, LinRegCommand.self,
      // Speed and environment.
      BenchCommand.self, InfoCommand.self,
    ])

  /// Runs the command. Mistakes in the arguments (unknown options, non-numbers, values out of
  /// range) print one line, `Error: …`, and exit with status 64 — without the usage text that
  /// ArgumentParser appends by default (`--help` shows it); `--help` and `--version` print as usual.
  static func main() {
    // Reuse freed buffers across training steps instead of fresh pages (AllocatorPolicy).
    if ProcessInfo.processInfo.environment["BACKPROP_MALLOC"] != "default" { AllocatorPolicy.keepFreedBuffers() }
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      let code = exitCode(for: error)
      guard code != .success, !(error is CleanExit) else { exit(withError: error) }
      let text = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
      FileHandle.standardError.write(Data(("Error: " + text + "\n").utf8))
      Foundation.exit(code.rawValue)
    }
  }
}
