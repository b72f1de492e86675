import BackpropCore
import Testing

@testable import BackpropDistributed

/// The bucket layout every rank computes alike, and the weight digest (no MPI needed).
@Suite struct BucketLayoutTests {
  @Test func bucketsFillInReverseParameterOrderUpToTheirSize() {
    // Parameters of 10, 3, 20, 5 floats; buckets of 16 floats (64 bytes).
    let layout = DataParallel.bucketLayout(counts: [10, 3, 20, 5], bucketBytes: 64)
    #expect(layout.buckets.map(\.members) == [[3], [2], [1, 0]], "last parameter first; 20 > 16 gets its own bucket")
    #expect(layout.buckets.map(\.range) == [0..<5, 5..<25, 25..<38])
    #expect(layout.placement.map(\.bucket) == [2, 2, 1, 0])
    #expect(layout.placement.map(\.offset) == [28, 25, 5, 0])
    #expect(layout.total == 38)
    // One huge bucket holds everything; a bucket as small as one float still holds one parameter.
    #expect(DataParallel.bucketLayout(counts: [10, 3, 20, 5], bucketBytes: 1 << 20).buckets.map(\.members) == [[3, 2, 1, 0]])
    #expect(DataParallel.bucketLayout(counts: [10, 3], bucketBytes: 1).buckets.map(\.members) == [[1], [0]])
  }

  /// Sharded updates split each bucket among the ranks: together the shards cover it exactly,
  /// in rank order, each inner edge on a cache line of the slot (the bucket starts `offset`
  /// floats after one), about evenly.
  @Test func shardsCoverABucketInRankOrderSplitAtCacheLines() {
    for count in [0, 1, 15, 16, 17, 100, 1000, 200_704] {
      for ranks in 1...4 {
        for offset in [0, 5, 16, 37] {
          let shards = (0..<ranks).map { SharedMemoryReduction.shard(of: count, rank: $0, ranks: ranks, offset: offset) }
          let context = "\(count) elements at offset \(offset), \(ranks) ranks: \(shards)"
          #expect(shards.first?.lowerBound == 0 && shards.last?.upperBound == count, "\(context)")
          #expect(zip(shards, shards.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }, "\(context)")
          #expect(shards.dropLast().allSatisfy { [0, count].contains($0.upperBound) || ($0.upperBound + offset) % 16 == 0 }, "\(context)")
          #expect(shards.allSatisfy { $0.count <= count / ranks + 16 }, "\(context)")
        }
      }
    }
    #expect(SharedMemoryReduction.shard(of: 200_704, rank: 1, ranks: 2) == 100_352..<200_704)
    #expect(SharedMemoryReduction.shard(of: 100, rank: 1, ranks: 2, offset: 5) == 43..<100)
  }

  @Test func aBlockedParameterGetsABucketPerRowBlockBeforeItsBias() {
    // A (5 × 4) weight, its bias of 5, a last layer of 6: blocks of rows 0..<1, 1..<3, 3..<5.
    let layout = DataParallel.bucketLayout(counts: [20, 5, 6], bucketBytes: 64, blocked: (parameter: 0, rows: 5, blocks: 3))
    #expect(layout.buckets.map(\.members) == [[2], [0], [0], [0], [1]], "the weight's blocks go before its bias")
    #expect(layout.buckets.map(\.rows) == [nil, 0..<1, 1..<3, 3..<5, nil])
    #expect(layout.buckets.map(\.range) == [0..<6, 6..<10, 10..<18, 18..<26, 26..<31])
    #expect(layout.placement.map(\.bucket) == [1, 4, 0])
    #expect(layout.total == 31)
  }

  @Test func digestChangesWithAnyBitAndIsStable() {
    let a = Tensor<Float>([1, 2, 3]), b = Tensor<Float>([4])
    let d = weightDigest(of: [a, b])
    #expect(d == weightDigest(of: [Tensor<Float>([1, 2, 3]), Tensor<Float>([4])]))
    a.scalars[1] = Float(bitPattern: a.scalars[1].bitPattern ^ 1)  // one ulp
    #expect(weightDigest(of: [a, b]) != d)
    #expect(weightDigest(of: [Tensor<Float>([0])]) != weightDigest(of: [Tensor<Float>([-0.0])]), "bits, not values")
    #expect(hex(0xab) == "0x00000000000000ab")
  }
}
