/// A small, fast, seedable random number generator (xoshiro256**), so that the same seed gives the
/// same weights, shuffles and dropout masks on every run and every machine.
///
/// Its whole state is four `UInt64` words: `state` can be saved in a checkpoint and restored to
/// continue a random stream exactly where it stopped.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
  /// The four words of xoshiro256** state.
  public var state: (UInt64, UInt64, UInt64, UInt64)

  /// Seeds the generator by running SplitMix64 on `seed` (the seeding the xoshiro authors recommend).
  public init(seed: UInt64) {
    var s = seed
    func splitMix() -> UInt64 {
      s &+= 0x9E37_79B9_7F4A_7C15
      var z = s
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  /// Restores a generator from saved state words (see `stateWords`).
  public init(stateWords w: [UInt64]) {
    require(w.count == 4, "SeededGenerator needs 4 state words")
    state = (w[0], w[1], w[2], w[3])
  }

  /// The state as an array, for checkpoints.
  public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

  public static func == (a: SeededGenerator, b: SeededGenerator) -> Bool { a.stateWords == b.stateWords }

  @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  /// The next 64 random bits.
  @inline(__always)
  public mutating func next() -> UInt64 {
    let result = Self.rotl(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = Self.rotl(state.3, 45)
    return result
  }

  /// A uniform Double in [0, 1) with 53 random bits.
  @inline(__always)
  public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

  /// A standard normal sample (Box–Muller; one of the pair is discarded so the stream stays simple
  /// to reproduce).
  public mutating func nextNormal() -> Double {
    var u1 = nextUniform()
    if u1 < 1e-300 { u1 = 1e-300 }
    let u2 = nextUniform()
    return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
  }
}

import RealModule
@inline(__always) private func _log(_ x: Double) -> Double { Double.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Double.cos(x) }

import Synchronization

/// The library's global random generator, used wherever no `using:` generator is passed
/// (`Tensor.randomNormal(_:)`, `Linear(3, 4)`, dropout masks), like `torch.manual_seed`.
///
/// ```swift
/// Random.seed(0)                                   // every run now draws the same numbers
/// let x = Tensor<Float>.randomNormal([256, 3])
/// ```
/// Explicit generators (`using: &rng`) keep working and never touch this one. The generator is
/// shared by all threads behind a lock: seed it once, before work that must be reproducible.
public enum Random {
  private static let global = Mutex(SeededGenerator(seed: 0))

  /// Restarts the global generator from `value`.
  public static func seed(_ value: UInt64) {
    global.withLock { $0 = SeededGenerator(seed: value) }
  }

  /// Runs `body` with exclusive access to the global generator (what the `using:`-less
  /// initialisers call).
  public static func withGlobalGenerator<R>(_ body: (inout SeededGenerator) throws -> R) rethrows -> R {
    try global.withLock { try body(&$0) }
  }

  /// The global generator's current state, e.g. to store it in a checkpoint.
  public static var state: SeededGenerator {
    get { global.withLock { $0 } }
    set { global.withLock { $0 = newValue } }
  }
}
