import Testing

@testable import BackpropData

@Suite struct BatchesTests {
  @Test func sameSeedSameOrderDifferentEpochsDiffer() throws {
    let a = try BatchSampler(sampleCount: 100, batchSize: 32, seed: 42)
    let b = try BatchSampler(sampleCount: 100, batchSize: 32, seed: 42)
    #expect(a.order(epoch: 3) == b.order(epoch: 3))
    #expect(a.order(epoch: 0) != a.order(epoch: 1))
    #expect(try BatchSampler(sampleCount: 100, batchSize: 32, seed: 43).order(epoch: 0) != a.order(epoch: 0))
    #expect(try BatchSampler(sampleCount: 5, batchSize: 2, shuffle: false).order(epoch: 9) == [0, 1, 2, 3, 4])
  }

  @Test(arguments: [false, true])
  func everySampleOncePerEpoch(dropLast: Bool) throws {
    let sampler = try BatchSampler(sampleCount: 103, batchSize: 10, dropLast: dropLast, seed: 1)
    for epoch in 0..<5 {
      let batches = sampler.batches(epoch: epoch)
      #expect(batches.count == sampler.batchesPerEpoch)
      #expect(batches.count == (dropLast ? 10 : 11))
      #expect(batches.allSatisfy { $0.count == 10 || (!dropLast && $0.count == 3) })
      let seen = batches.flatMap { $0 }
      if dropLast {
        #expect(seen.count == 100 && Set(seen).count == 100)
      } else {
        #expect(seen.sorted() == Array(0..<103))
      }
    }
  }

  /// The order is pinned so that a change to the shuffle (which would silently change every
  /// "reproducible" run) fails here.
  @Test func orderIsPinned() throws {
    let sampler = try BatchSampler(sampleCount: 10, batchSize: 4, seed: 2024)
    #expect(sampler.order(epoch: 0) == Self.pinnedEpoch0)
    var generator = SeededGenerator(seed: 99)
    #expect((0..<8).map { _ in uniformIndex(below: 10, using: &generator) } == Self.pinnedIndices)
  }

  // Checked against an independent Python implementation of xoshiro256**, Lemire and Fisher–Yates.
  static let pinnedEpoch0 = [8, 1, 5, 4, 2, 9, 6, 3, 0, 7]
  static let pinnedIndices = [3, 5, 3, 8, 7, 2, 2, 0]

  @Test func runningIteratorResumesFromItsState() throws {
    var iterator = try EpochIterator(sampleCount: 50, batchSize: 8, seed: 7)
    let first = iterator.next()!
    let saved = iterator.stateWords
    #expect(saved.count == 5 && saved[4] == 1)
    let second = iterator.next()!, third = iterator.next()!
    #expect(first.order != second.order && Set(second.order) == Set(0..<50))
    var resumed = try EpochIterator(sampleCount: 50, batchSize: 8, stateWords: saved)
    #expect(resumed.epoch == 1)
    #expect(resumed.next() == second && resumed.next() == third)
    #expect(Array(try EpochIterator(sampleCount: 50, batchSize: 8, seed: 7).prefix(3)) == [first, second, third])
    #expect(throws: TensorError.self) { try EpochIterator(sampleCount: 5, batchSize: 2, stateWords: [1, 2, 3]) }
    #expect(throws: TensorError.self) { try BatchSampler(sampleCount: 5, batchSize: 0) }
  }

  @Test func gathersBatchesFromADataset() throws {
    let data = try Dataset(name: "d", features: (0..<10).map(Float.init), featureCount: 2, labels: [0, 1, 2, 1, 0])
    let batches = try Batches(order: [4, 1, 3, 0, 2], batchSize: 2)
    let gathered = Array(data.batches(batches))
    #expect(gathered.count == 3)
    #expect(gathered[0].features == [8, 9, 2, 3] && gathered[0].labels == [0, 1] && gathered[0].indices == [4, 1])
    #expect(gathered[2].count == 1 && gathered[2].features == [4, 5])
    let regression = try Dataset(name: "r", features: [1, 2], featureCount: 1, targets: [5, 6])
    #expect(regression.batch([1]).targets == [6] && regression.batch([1]).labels.isEmpty)
  }
}
