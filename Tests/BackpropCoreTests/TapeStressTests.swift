import BackpropCore
import Foundation
import Glibc
import Testing
import _BackpropTestSupport

/// Whether a sanitizer runtime (ASan/TSan) is linked into this test process (dlsym with a nil
/// handle is RTLD_DEFAULT: every loaded object).
let runningUnderSanitizer: Bool = dlsym(nil, "__asan_init") != nil || dlsym(nil, "__tsan_init") != nil

// Long chains (iterative backward and release: no stack overflow) and memory (no reference
// cycles: 100,000 training steps keep the resident set flat). Serialized so that the chain's
// allocations never overlap the memory measurement.

/// Resident set size of this process in KiB (`VmRSS` in /proc/self/status), after handing free
/// heap pages back to the kernel: otherwise memory freed by an earlier test (the million-node
/// chain leaves hundreds of MiB in malloc's free lists) could absorb a leak without RSS growing.
func residentKiB() throws -> Int {
  _ = mallocTrim?(0)
  let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
  let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
  return try #require(Int(line.split(whereSeparator: \.isWhitespace)[1]))
}

/// glibc's `malloc_trim` (not exported by the Glibc module), looked up at run time.
let mallocTrim: (@convention(c) (Int) -> Int32)? = dlsym(nil, "malloc_trim").map {
  unsafeBitCast($0, to: (@convention(c) (Int) -> Int32).self)
}

@Suite(.serialized) struct TapeStressTests {
  /// x ← x·c + (c − 1) repeated: the fixed point is −1, so xₙ + 1 = cⁿ(x₀ + 1) and dxₙ/dx₀ = cⁿ.
  static func chain(from x0: T, steps: Int, c: Double) -> T {
    var x = x0
    for _ in 0..<steps { x = x * c + (c - 1) }
    return x
  }

  @Test func millionNodeChainBackpropagates() throws {
    let steps = 500_000  // two ops per step: 1,000,000 recorded nodes
    let c = 1.000001
    let x0 = T(0.25, requiresGrad: true)
    let y = Self.chain(from: x0, steps: steps, c: c)
    var depth = 0, t: T? = y
    while let node = t, !node.isLeaf { depth += 1; t = node.graphInputs.first { $0.requiresGrad } }
    #expect(depth == 2 * steps)
    y.backward()
    let cn = Double.pow(c, Double(steps))
    // Each of the 500,000 multiplications rounds once: relative error ≲ n·2⁻⁵³ ≈ 6e-11.
    expectClose(x0.grad!.item, cn, Tolerance(rtol: 1e-9, atol: 0, rationale: "n roundings of a product"))
    expectClose(y.item, cn * 1.25 - 1, Tolerance(rtol: 1e-9, atol: 0, rationale: "n roundings of a product"))
  }

  @Test func millionNodeChainDroppedWithoutBackward() throws {
    // Releasing the chain must not recurse once per node through deinit.
    weak var weakTail: T?
    do {
      let y = Self.chain(from: T(0.25, requiresGrad: true), steps: 500_000, c: 1.000001)
      weakTail = y
      #expect(weakTail != nil)
    }
    #expect(weakTail == nil)
  }

  @Test func graphIsFreedAfterEachStepAndMemoryStaysFlat() throws {
    var g = SeededGenerator(seed: 42)
    let w = T.randomNormal([64], using: &g, requiresGrad: true)
    let x = T.randomNormal([64], using: &g)
    weak var weakIntermediate: T?
    weak var weakLoss: T?
    func step(observe: Bool) throws {
      let h = (w * x).tanh()
      let loss = h.sum()
      if observe { weakIntermediate = h; weakLoss = loss }
      loss.backward()
      w.zeroGrad()
    }
    try step(observe: true)
    #expect(weakIntermediate == nil && weakLoss == nil, "a node outlived its step: the graph has a reference cycle")

    for _ in 0..<2_000 { try step(observe: false) }  // let the allocator reach its steady state
    let before = try residentKiB()
    for _ in 0..<100_000 { try step(observe: false) }
    let after = try residentKiB()
    // One leaked 64-element tensor per step would be ≥ 0.6 KiB × 100,000 ≈ 60 MiB; 24 MiB of slack
    // absorbs allocator noise and the other suites running beside this one.
    #expect(after - before < 24 * 1024, "VmRSS grew from \(before) KiB to \(after) KiB over 100,000 steps")
  }

  /// Under AddressSanitizer the allocator's quarantine hides RSS growth, so this self-check of
  /// the memory measurement only runs in ordinary builds.
  @Test(.enabled(if: !runningUnderSanitizer)) func leakedGraphsWouldBeSeen() throws {
    // The measurement can fail: keeping every step's loss alive (as a cycle would) grows VmRSS.
    let w = T.seeded([64], seed: 1, requiresGrad: true)
    var kept: [T] = []
    let before = try residentKiB()
    for _ in 0..<40_000 { kept.append((w * w).tanh().sum()) }
    let after = try residentKiB()
    #expect(after - before > 24 * 1024, "keeping 40,000 graphs grew VmRSS by only \(after - before) KiB")
    #expect(kept.count == 40_000)
  }
}
