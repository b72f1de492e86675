import ArgumentParser
import Backprop

/// The `backprop` command: train networks by backpropagation and show how it works.
@main
struct BackpropCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backprop",
    abstract: "Train neural networks by backpropagation, and see the chain rule at work.",
    version: "0.1.0",
    subcommands: [
      // Seed demonstrations (core)
      ChainRuleCommand.self, VectorChainRuleCommand.self, JacobianShapesCommand.self,
      BenchCommand.self,
      TrainCommand.self, EvalCommand.self, PredictCommand.self, StepCommand.self, LinRegCommand.self,
    ])
}
