import BackpropCore

/// Where an op's test inputs are drawn from, so that checks stay inside its domain and away from
/// the points where it is not differentiable (PyTorch OpInfo's `domain`, JAX's `GradTestSpec`).
public enum InputDomain: Sendable, Hashable, CustomStringConvertible {
  /// U[−2, 2]: most smooth ops.
  case real
  /// U[0.5, 2]: log, sqrt, non-integer powers, divisors.
  case positive
  /// |x| ∈ [0.25, 2] with a random sign: abs, relu, leakyRelu (no kink within any eps).
  case awayFromZero
  /// Distinct values at least 4/(n+1) apart (shuffled): max/min reductions never tie.
  case distinct
  /// `offset + 0.5·k` for integer k in −4…3: two operands with offsets 0 and 0.25 never tie,
  /// which keeps `maximum`/`minimum` away from their kink under any broadcasting.
  case lattice(offset: Double)
  /// U[low, high].
  case uniform(Double, Double)

  public var description: String {
    switch self {
    case .real: return "real"
    case .positive: return "positive"
    case .awayFromZero: return "awayFromZero"
    case .distinct: return "distinct"
    case let .lattice(offset): return "lattice(+\(offset))"
    case let .uniform(low, high): return "U[\(low), \(high)]"
    }
  }

  /// `count` values from this domain.
  public func sample(_ count: Int, using g: inout SeededGenerator) -> [Double] {
    func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * g.nextUniform() }
    switch self {
    case .real: return (0..<count).map { _ in uniform(-2, 2) }
    case .positive: return (0..<count).map { _ in uniform(0.5, 2) }
    case .awayFromZero:
      return (0..<count).map { _ in (g.next() & 1 == 0 ? -1 : 1) * uniform(0.25, 2) }
    case .distinct:
      let step = 4 / Double(count + 1)
      var values = (0..<count).map { -2 + step * (Double($0) + 1) + step * 0.2 * (g.nextUniform() - 0.5) }
      values.shuffle(using: &g)
      return values
    case let .lattice(offset):
      return (0..<count).map { _ in offset + 0.5 * Double(Int(g.next() % 8) - 4) }
    case let .uniform(low, high): return (0..<count).map { _ in uniform(low, high) }
    }
  }
}

extension Tensor {
  /// A reproducible random tensor: the same `(shape, domain, seed)` gives the same values on every
  /// machine (xoshiro256** seeded by SplitMix64, values computed in Double then rounded).
  public static func seeded(_ shape: [Int], _ domain: InputDomain = .real, seed: UInt64,
                            requiresGrad: Bool = false) -> Tensor {
    var g = SeededGenerator(seed: seed)
    let values = domain.sample(shape.reduce(1, *), using: &g).map { Scalar($0) }
    return Tensor(shape: shape, scalars: values, requiresGrad: requiresGrad)
  }
}

extension Tensor {
  /// A new leaf with the same values that requires a gradient (a fresh parameter for one check).
  public func leafCopy(requiresGrad: Bool = true) -> Tensor {
    let copy = detached()
    copy.requiresGrad = requiresGrad
    return copy
  }
}

/// A seed derived from a name (64-bit FNV-1a), stable across runs and platforms — unlike
/// `Hasher`, which Swift randomises per process.
public func stableSeed(_ name: String, salt: UInt64 = 0) -> UInt64 {
  var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ salt
  for byte in name.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
  return h
}
