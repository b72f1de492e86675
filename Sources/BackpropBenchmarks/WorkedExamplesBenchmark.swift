import Backprop

/// W4: the worked examples per call (latency of a tiny graph, not throughput), and W5: full
/// Jacobians and Hessians.
public enum WorkedExamplesBenchmark {
  /// Microseconds per call of the chain-rule example: forward + backward for dz/ds, dz/dt.
  public static func chainRuleMicroseconds(calls: Int = 20_000) throws -> Double {
    var sink = 0.0
    let seconds = Stopwatch.median(warmup: 1, runs: 5) {
      for _ in 0..<calls {
        let s = Tensor<Double>(0.5, requiresGrad: true), t = Tensor<Double>(1.2, requiresGrad: true)
        let x = s - t.sin(), y = s.exp() + t.cos()
        let z = x.squared() - y.squared()
        z.backward()
        sink += s.grad!.item + t.grad!.item
      }
    }
    precondition(sink.isFinite)
    return seconds / Double(calls) * 1e6
  }

  /// The same chain-rule example on `Value`s: a fresh `ScalarTape` per call (as fresh leaves are
  /// for the `Tensor` version), forward, backward, both gradients read.
  public static func chainRuleOnValuesMicroseconds(calls: Int = 200_000) -> Double {
    var sink = 0.0
    let seconds = Stopwatch.median(warmup: 1, runs: 5) {
      for _ in 0..<calls {
        let tape = ScalarTape<Double>(reservingCapacity: 16)
        let s = tape.variable(0.5), t = tape.variable(1.2)
        let x = s - t.sin(), y = s.exp() + t.cos()
        let z = x * x - y * y
        z.backward()
        sink += s.grad + t.grad
      }
    }
    precondition(sink.isFinite)
    return seconds / Double(calls) * 1e6
  }

  /// Microseconds per call of the vector example (n = 4): x = s ⊙ t, y = s − t, z = mean(x + y).
  public static func vectorChainRuleMicroseconds(calls: Int = 20_000) throws -> Double {
    var sink = 0.0
    let seconds = Stopwatch.median(warmup: 1, runs: 5) {
      for _ in 0..<calls {
        let s = Tensor<Double>([1, 2, 3, 4], requiresGrad: true), t = Tensor<Double>([0.5, -1, 2, 0], requiresGrad: true)
        let z = ((s * t) + (s - t)).mean()
        z.backward()
        sink += s.grad!.scalars[0] + t.grad!.scalars[0]
      }
    }
    precondition(sink.isFinite)
    return seconds / Double(calls) * 1e6
  }
}

/// W5: Jacobian of f(x) = tanh(Wx + b), W 512×512, and Hessian of g(x) = Σ tanh(Wx), x ∈ ℝ²⁵⁶.
public enum JacobianBenchmark {
  /// Median milliseconds for the full 512×512 Jacobian (fp32).
  public static func jacobianMilliseconds(n: Int = 512, runs: Int = 5) throws -> Double {
    var rng = SeededGenerator(seed: 0)
    let w = Tensor<Float>.randomNormal([n, n], standardDeviation: 1 / Float(n).squareRoot(), using: &rng)
    let b = Tensor<Float>.randomNormal([n], using: &rng)
    let x = Tensor<Float>.randomNormal([n], using: &rng)
    return Stopwatch.median(warmup: 1, runs: runs) {
      let j = jacobian(of: { (w.matmul($0) + b).tanh() }, at: x)
      precondition(j.shape == [n, n])
    } * 1000
  }

  /// Median milliseconds for the full 256×256 Hessian (fp32).
  public static func hessianMilliseconds(n: Int = 256, runs: Int = 5) throws -> Double {
    var rng = SeededGenerator(seed: 1)
    let w = Tensor<Float>.randomNormal([n, n], standardDeviation: 1 / Float(n).squareRoot(), using: &rng)
    let x = Tensor<Float>.randomNormal([n], using: &rng)
    return Stopwatch.median(warmup: 1, runs: runs) {
      let h = hessian(of: { w.matmul($0).tanh().sum() }, at: x)
      precondition(h.shape == [n, n])
    } * 1000
  }
}
