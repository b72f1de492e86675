import Foundation

/// Small seeded 2-D classification sets for tests and demos: two moons, spirals and XOR.
///
/// Every generator is deterministic in its seed (via `SeededGenerator`), so a test that trains on
/// `Dataset.twoMoons(count: 200, seed: 0)` sees the same points on every machine. Features are
/// `[x, y]` pairs; the samples come in a shuffled order.
extension Dataset {
  /// Two interleaving half circles, like scikit-learn's `make_moons`.
  ///
  /// Class 0: `(cos t, sin t)`, class 1: `(1 − cos t, 0.5 − sin t)`, `t` evenly spaced in [0, π]
  /// (`count / 2` points on the first moon, the rest on the second), plus Gaussian noise with
  /// standard deviation `noise` on each coordinate.
  ///
  /// - Throws: `TensorError.invalidArgument` when `count < 2` or `noise < 0`.
  public static func twoMoons(count: Int, noise: Double = 0.1, seed: UInt64 = 0) throws -> Dataset {
    guard count >= 2, noise >= 0 else { throw invalid("twoMoons needs count >= 2 and noise >= 0", op: "Dataset.twoMoons") }
    let outer = count / 2
    let inner = count - outer
    var points = [(Double, Double, Int)]()
    for i in 0..<outer {
      let t = Double.pi * Double(i) / Double(max(outer - 1, 1))
      points.append((cos(t), sin(t), 0))
    }
    for i in 0..<inner {
      let t = Double.pi * Double(i) / Double(max(inner - 1, 1))
      points.append((1 - cos(t), 0.5 - sin(t), 1))
    }
    return try synthetic(points, noise: noise, seed: seed, classCount: 2, name: "two-moons")
  }

  /// Interleaved spirals, one arm per class (the CS231n example).
  ///
  /// Arm `k` has `countPerClass` points at radius `r` from 0 to 1 and angle
  /// `2π·turns·r + 2π·k / classCount`, plus Gaussian noise of standard deviation `noise` on each
  /// coordinate.
  ///
  /// - Throws: `TensorError.invalidArgument` for a non-positive count, fewer than 2 classes,
  ///   negative noise or non-positive turns.
  public static func spirals(
    countPerClass: Int, classCount: Int = 2, turns: Double = 1, noise: Double = 0.05, seed: UInt64 = 0
  ) throws -> Dataset {
    guard countPerClass > 0, classCount >= 2, noise >= 0, turns > 0 else {
      throw invalid("spirals needs countPerClass > 0, classCount >= 2, noise >= 0, turns > 0", op: "Dataset.spirals")
    }
    var points = [(Double, Double, Int)]()
    for k in 0..<classCount {
      for i in 0..<countPerClass {
        let r = Double(i + 1) / Double(countPerClass)
        let angle = 2 * Double.pi * (turns * r + Double(k) / Double(classCount))
        points.append((r * cos(angle), r * sin(angle), k))
      }
    }
    return try synthetic(points, noise: noise, seed: seed, classCount: classCount, name: "spirals")
  }

  /// XOR: points uniform in [−1, 1]², class 1 when exactly one coordinate is positive.
  ///
  /// With `noise` > 0, Gaussian noise is added to the points after labelling, so some cross the
  /// axes. `Dataset.xorTruthTable()` gives just the four corners.
  ///
  /// - Throws: `TensorError.invalidArgument` when `count < 1` or `noise < 0`.
  public static func xor(count: Int, noise: Double = 0, seed: UInt64 = 0) throws -> Dataset {
    guard count >= 1, noise >= 0 else { throw invalid("xor needs count >= 1 and noise >= 0", op: "Dataset.xor") }
    var generator = SeededGenerator(seed: splitMix64(seed ^ 0x786F72))
    let points = (0..<count).map { _ -> (Double, Double, Int) in
      let x = 2 * generator.nextUniform() - 1
      let y = 2 * generator.nextUniform() - 1
      return (x, y, (x > 0) != (y > 0) ? 1 : 0)
    }
    return try synthetic(points, noise: noise, seed: seed, classCount: 2, name: "xor")
  }

  /// The four XOR corners `(0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0`, in that order.
  public static func xorTruthTable() -> Dataset {
    try! Dataset(name: "xor-truth-table", features: [0, 0, 0, 1, 1, 0, 1, 1], featureCount: 2, labels: [0, 1, 1, 0])
  }

  /// Adds noise to labelled points, shuffles them, and packs them into a data set.
  private static func synthetic(
    _ points: [(Double, Double, Int)], noise: Double, seed: UInt64, classCount: Int, name: String
  ) throws -> Dataset {
    var generator = SeededGenerator(seed: seed)
    var noisy = points.map { p in
      (p.0 + noise * generator.nextNormal(), p.1 + noise * generator.nextNormal(), p.2)
    }
    shuffle(&noisy, using: &generator)
    return try Dataset(
      name: name, features: noisy.flatMap { [Float($0.0), Float($0.1)] }, featureCount: 2,
      labels: noisy.map(\.2), classCount: classCount)
  }
}
