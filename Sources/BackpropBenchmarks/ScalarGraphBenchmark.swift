import Backprop

/// W3: graphs of scalar nodes, where the cost of recording a node and running its backward is
/// everything (no arithmetic to hide behind).
public enum ScalarGraphBenchmark {
  /// (a) The micrograd demo: a 2-16-16-1 MLP built from scalar nodes, trained on 100 two-moons
  /// points with the max-margin loss mean(relu(1 − y·score)) + 1e-4·Σp². Returns the median
  /// seconds of one forward + backward step and the node count of the graph.
  public static func microgradMLP(runs: Int = 5) throws -> (seconds: Double, nodes: Int) {
    // micrograd's initial weights (U(−1, 1), biases 0), each its own 0-dim tensor.
    let demo = try MicrogradDemo<Double>()
    let parameters = demo.model.parameters.map { Tensor<Double>($0.value, requiresGrad: true) }
    var nodes = 0
    func step() throws {
      let total = try demo.lossOnTensors(parameters)
      if nodes == 0 { nodes = total.graphNodeCount() }  // once, outside the timed runs' cost
      for p in parameters { p.zeroGrad() }
      total.backward()
    }
    let seconds = try Stopwatch.median(warmup: 1, runs: runs, step)
    return (seconds, nodes)
  }

  /// (b) 500,000 repeats of x = x·1.0001 + 0.0001 (1,000,000 scalar ops), forward then backward.
  /// Returns the median seconds for forward + backward and the resident memory growth per node
  /// while the graph is alive (measured on the first run, before the heap holds freed memory;
  /// each repeat records two nodes, the multiply and the add, plus their constant operands).
  public static func chain(repeats: Int = 500_000, runs: Int = 3) throws -> (seconds: Double, bytesPerNode: Double, gradient: Double) {
    var gradient = 0.0
    var bytesPerNode = 0.0
    let seconds = Stopwatch.median(warmup: 1, runs: runs) {
      let before = currentResidentBytes()
      let x0 = Tensor<Float>(1, requiresGrad: true)
      var x = x0
      for _ in 0..<repeats { x = x * 1.0001 + 0.0001 }
      let after = currentResidentBytes()
      // The first (warm-up) run grows the heap; later runs reuse it, so keep the largest growth.
      bytesPerNode = Swift.max(bytesPerNode, Double(after - before) / Double(2 * repeats))
      x.backward()
      gradient = Double(x0.grad!.item)
    }
    return (seconds, bytesPerNode, gradient)
  }
}

extension ScalarGraphBenchmark {
  /// (a) on `Value`s: the micrograd demo step (`MicrogradDemo`: rewind, forward, backward, SGD
  /// update — the update is included, as in micrograd's timed step). Returns the median seconds
  /// per step, the nodes of one step's graph, and the loss and accuracy after the timed steps.
  public static func microgradMLPOnValues(runs: Int = 5) throws -> (seconds: Double, nodes: Int, loss: Double, accuracy: Double) {
    let demo = try MicrogradDemo<Double>()
    var last = (loss: 0.0, accuracy: 0.0)
    let seconds = try Stopwatch.median(warmup: 1, runs: runs) { last = try demo.step() }
    _ = try demo.loss()
    let nodes = demo.model.tape.count
    return (seconds, nodes, last.loss, last.accuracy)
  }

  /// (b) on `Value`s: 500,000 repeats of x = x·1.0001 + 0.0001 recorded on a `ScalarTape<Float>`,
  /// forward then backward, on a fresh tape each run (its array grows as a user's would). Memory
  /// per node is the tape's layout, `ScalarTape.bytesPerNode` (node record + gradient): exact,
  /// where a resident-set difference would depend on what the heap already holds.
  public static func chainOnValues(repeats: Int = 500_000, runs: Int = 3) throws -> (seconds: Double, bytesPerNode: Int, gradient: Double) {
    var gradient = 0.0
    let seconds = Stopwatch.median(warmup: 1, runs: runs) {
      let tape = ScalarTape<Float>()
      let x0 = tape.variable(1)
      var x = x0
      for _ in 0..<repeats { x = x * 1.0001 + 0.0001 }
      x.backward()
      gradient = Double(x0.grad)
    }
    return (seconds, ScalarTape<Float>.bytesPerNode, gradient)
  }
}

/// Resident memory of this process now, in bytes (VmRSS).
func currentResidentBytes() -> Int {
  guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
  for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
    if let kib = line.split(separator: " ").compactMap({ Int($0) }).first { return kib * 1024 }
  }
  return 0
}

import Foundation
