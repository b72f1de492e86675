import Testing

@testable import BackpropData

/// `Batches.shard(rank:of:)`: the data-parallel split of each global batch.
@Suite struct ShardTests {
  @Test(arguments: [1, 2, 3, 4])
  func shardsAreDisjointCoverEveryGlobalBatchAndAgreeOnStepCount(ranks: Int) throws {
    // 103 samples, per-rank batch 8: global batches of 8·ranks, the last one short.
    let sampler = try BatchSampler(sampleCount: 103, batchSize: 8 * ranks, seed: 7)
    let global = sampler.batches(epoch: 2)
    let shards = try (0..<ranks).map { try global.shard(rank: $0, of: ranks) }
    for shard in shards { #expect(shard.count == global.count, "every rank takes the same number of steps") }
    for (b, batch) in global.enumerated() {
      let parts = shards.map { $0[b] }
      #expect(parts.flatMap { $0 } == Array(batch), "batch \(b): the ranks' parts, in rank order, are the global batch")
      if batch.count == 8 * ranks { #expect(parts.allSatisfy { $0.count == 8 }, "a full batch splits into per-rank batches") }
      #expect(parts.map(\.count).max()! - parts.map(\.count).min()! <= 1, "balanced: \(parts.map(\.count))")
    }
  }

  @Test func oneRankIsTheBatchesThemselves() throws {
    let batches = try Batches(order: [4, 2, 0, 1, 3], batchSize: 2)
    #expect(try batches.shard(rank: 0, of: 1) == [[4, 2], [0, 1], [3]])
    #expect(try batches.shard(rank: 1, of: 2) == [[2], [1], [3]])
    #expect(try batches.shard(rank: 0, of: 2) == [[4], [0], []], "a batch shorter than the ranks leaves some empty")
  }

  @Test func rankOutOfRangeThrows() throws {
    let batches = try Batches(order: [0, 1], batchSize: 2)
    #expect(throws: (any Error).self) { try batches.shard(rank: 2, of: 2) }
    #expect(throws: (any Error).self) { try batches.shard(rank: 0, of: 0) }
  }
}
