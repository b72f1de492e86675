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
      // The main job: train, evaluate and use models.
      TrainCommand.self, EvalCommand.self, PredictCommand.self,
      // The seed's procedure and examples.
      StepCommand.self, ChainRuleCommand.self, VectorChainRuleCommand.self, JacobianShapesCommand.self, LinRegCommand.self,
      // Speed and environment.
      BenchCommand.self, InfoCommand.self,
    ])
}
