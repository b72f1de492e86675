import BackpropCore
import Testing

@testable import BackpropData

/// `Augmentation`: seeded shifts and flips of image rows; shapes and counts kept, same draws
/// for the same (seed, epoch, sample index) whatever the batch, pixels moved and never invented; and the sample shapes
/// the loaders give (images as [1, H, W], so that CNNs and augmentation can read them).
@Suite struct AugmentationTests {
  /// `n` 2-channel 6×5 images, each a distinct ramp inside a zero border of 2 pixels.
  static func images(_ n: Int) -> [Float] {
    var values = [Float](repeating: 0, count: n * 2 * 6 * 5)
    for i in 0..<n {
      for c in 0..<2 { for y in 2..<4 { for x in 2..<3 { values[i * 60 + (c * 6 + y) * 5 + x] = Float(1 + i + 10 * c + 100 * y) } } }
    }
    return values
  }

  @Test func sameSeedEpochAndSamplesGiveTheSameImagesAndOthersDiffer() throws {
    let augment = try Augmentation(parsing: "shift,flip")
    #expect(augment == Augmentation(maxShift: 2, horizontalFlip: true))
    func run(seed: UInt64, epoch: Int, samples: [Int] = Array(30..<46)) -> [Float] {
      var x = Self.images(16)
      augment.apply(to: &x, sampleShape: [2, 6, 5], seed: seed, epoch: epoch, samples: samples)
      return x
    }
    let a = run(seed: 1, epoch: 2)
    #expect(a.count == Self.images(16).count, "the shape is kept")
    #expect(a == run(seed: 1, epoch: 2))
    #expect(a != Self.images(16), "16 images, none moved")
    #expect(a != run(seed: 1, epoch: 2, samples: Array(31..<47)) && a != run(seed: 1, epoch: 3) && a != run(seed: 2, epoch: 2))
  }

  @Test func aBatchSplitInShardsIsAugmentedAsAWhole() throws {
    // --distributed: rank r augments its shard of the global batch; the images must be those one
    // process makes of the whole batch, so each sample's draws depend on its index only.
    let augment = Augmentation(maxShift: 2, horizontalFlip: true)
    let samples = [7, 3, 12, 40, 41, 5, 9, 0, 22, 18, 2, 33, 30, 1, 16, 8]
    var whole = Self.images(16)
    augment.apply(to: &whole, sampleShape: [2, 6, 5], seed: 4, epoch: 1, samples: samples)
    var first = Array(Self.images(16)[..<(7 * 60)]), second = Array(Self.images(16)[(7 * 60)...])
    augment.apply(to: &first, sampleShape: [2, 6, 5], seed: 4, epoch: 1, samples: Array(samples[..<7]))
    augment.apply(to: &second, sampleShape: [2, 6, 5], seed: 4, epoch: 1, samples: Array(samples[7...]))
    #expect(first + second == whole)
    #expect(whole != Self.images(16))
  }

  @Test func shiftsMoveEachImageByAtMostTwoPixelsWithoutChangingItsPixels() throws {
    let augment = try Augmentation(parsing: "shift")
    let original = Self.images(32)
    var x = original
    augment.apply(to: &x, sampleShape: [2, 6, 5], seed: 7, epoch: 0, samples: Array(0..<32))
    var moved = 0
    for i in 0..<32 {
      let before = Array(original[i * 60..<(i + 1) * 60]), after = Array(x[i * 60..<(i + 1) * 60])
      // The content sits inside a 2-pixel zero border: a shift of ≤ 2 keeps every value.
      #expect(before.sorted() == after.sorted(), "image \(i) lost or gained pixels")
      // Both channels move together, by the same (dy, dx) within ±2.
      let first = { (v: [Float]) in v.firstIndex { $0 != 0 }! }
      let (b, a) = (first(before), first(after))
      let (dy, dx) = (a / 5 - b / 5, a % 5 - b % 5)
      #expect(abs(dy) <= 2 && abs(dx) <= 2, "image \(i) moved by (\(dy), \(dx))")
      #expect(after[30 + (b / 5 + dy) * 5 + b % 5 + dx] == before[30 + b], "channel 1 moved with channel 0")
      if dy != 0 || dx != 0 { moved += 1 }
    }
    #expect(moved > 16, "most of 32 images move (each stays with probability 1/25)")
  }

  @Test func flipsMirrorRowsAndShiftsFillWithZeros() throws {
    let augment = Augmentation(horizontalFlip: true)
    let row: [Float] = [1, 2, 3, 4]
    var x = [Float](repeating: 0, count: 0)
    for _ in 0..<20 { x += row }
    augment.apply(to: &x, sampleShape: [1, 1, 4], seed: 0, epoch: 0, samples: Array(0..<20))
    let rows = (0..<20).map { Array(x[$0 * 4..<($0 + 1) * 4]) }
    #expect(rows.allSatisfy { $0 == row || $0 == [4, 3, 2, 1] })
    #expect(rows.contains([4, 3, 2, 1]) && rows.contains(row), "both outcomes in 20 draws")
    var y: [Float] = [Float](repeating: 1, count: 9 * 50)
    Augmentation(maxShift: 1).apply(to: &y, sampleShape: [1, 3, 3], seed: 5, epoch: 1, samples: Array(0..<50))
    #expect(y.contains(0) && y.allSatisfy { $0 == 0 || $0 == 1 }, "shifted-in pixels are 0")
  }

  @Test func parsingAndShapesAreChecked() throws {
    #expect(try Augmentation(parsing: "shift=3").maxShift == 3)
    #expect(try Augmentation(parsing: "flip").description == "flip")
    for bad in ["bogus", "shift=0", "shift=x", ""] {
      #expect(throws: TensorError.self, "\(bad)") { try Augmentation(parsing: bad) }
    }
    #expect(throws: TensorError.self) { try Augmentation(maxShift: 2).check(sampleShape: [13]) }
    try Augmentation(maxShift: 2).check(sampleShape: [1, 28, 28])
  }

  @Test func loadersGiveImagesTheirSampleShape() throws {
    #expect(try Dataset.digits(split: .test).sampleShape == [1, 8, 8])
    let flat = try Dataset(name: "t", features: [1, 2, 3, 4, 5, 6], featureCount: 3, labels: [0, 1])
    #expect(flat.sampleShape == [3])
    #expect(try flat.withSampleShape([1, 3, 1]).subset(indices: [1]).sampleShape == [1, 3, 1], "subsets keep the shape")
    #expect(throws: TensorError.self) { try flat.withSampleShape([2, 2]) }
  }
}
