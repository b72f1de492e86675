import Backprop

/// W2: MLP training on Fashion-MNIST (784-256-128-10 ReLU, softmax cross-entropy, batch 128,
/// SGD lr 0.1). Filled in once the training API lands.
public enum MLPTrainingBenchmark {
  public static func run(threads: Int, epochs: Int, dataDirectory: String?) throws -> [BenchmarkResult] {
    throw TensorError.invalidArgument(op: "bench W2", message: "not available yet")
  }
}
