import Backprop
import Foundation
import Testing

/// The determinism promise: same seed, same build, same thread count (and same BLAS backend,
/// which is part of "same build and machine") → bit-identical weights.
///
/// Each run is a fresh `checkpoint-writer train` process (a 64-128-128-10 MLP, SGD with momentum,
/// 3 epochs of seeded batches, GEMMs large enough to be split over threads) that saves its
/// weights; the saved files must be byte-identical. Runs happen in separate processes because the
/// thread count and backend are process-wide settings that other tests change while they run.
@Suite struct DeterminismTests {
  /// (BACKPROP_BLAS, BACKPROP_THREADS): own kernels and the automatic choice (OpenBLAS when
  /// installed), on one and two threads.
  static let settings: [(String?, Int)] = [(nil, 1), (nil, 2), ("none", 1), ("none", 2)]

  @Test(arguments: 0..<settings.count)
  func trainingTwiceGivesBitIdenticalWeights(setting: Int) throws {
    let (blas, threads) = Self.settings[setting]
    let directory = try Helper.temporaryDirectory("determinism")
    defer { try? FileManager.default.removeItem(at: directory) }
    var environment = ["BACKPROP_THREADS": String(threads)]
    if let blas { environment["BACKPROP_BLAS"] = blas } else { environment["BACKPROP_BLAS"] = nil }

    var files: [[UInt8]] = []
    var reports: [String] = []
    for run in 0..<2 {
      let url = directory.appendingPathComponent("run\(run).safetensors")
      var env = environment
      if blas == nil { env["BACKPROP_BLAS"] = ProcessInfo.processInfo.environment["BACKPROP_BLAS"] ?? "" }
      reports.append(try Helper.run(["train", url.path, "7"], environment: env))
      files.append(Array(try Data(contentsOf: url)))
    }
    #expect(reports[0].contains("threads \(threads) "), "the helper ran with \(reports[0])")
    #expect(reports[0] == reports[1], "the two runs reported different losses: \(reports)")
    #expect(files[0] == files[1], "BACKPROP_BLAS=\(blas ?? "auto") BACKPROP_THREADS=\(threads): the weights differ between two runs")

    // The weights must be real (training happened and produced finite values).
    let file = try SafeTensorsFile(decoding: files[0])
    let weights = try file.floats(named: "0.weight")
    let finite = weights.allSatisfy { $0.isFinite }
    #expect(weights.count == 128 * 64 && finite)
  }

  /// Same seed, same thread count but a different seed gives different weights (the test above
  /// would pass trivially if the seed were ignored).
  @Test func aDifferentSeedGivesDifferentWeights() throws {
    let directory = try Helper.temporaryDirectory("determinism-seed")
    defer { try? FileManager.default.removeItem(at: directory) }
    let a = directory.appendingPathComponent("a.safetensors"), b = directory.appendingPathComponent("b.safetensors")
    try Helper.run(["train", a.path, "7"], environment: ["BACKPROP_THREADS": "1"])
    try Helper.run(["train", b.path, "8"], environment: ["BACKPROP_THREADS": "1"])
    #expect(try Data(contentsOf: a) != Data(contentsOf: b))
  }
}
