import Testing

@testable import BackpropData

@Suite struct SyntheticTests {
  @Test func twoMoonsAreSeededAndBalanced() throws {
    let a = try Dataset.twoMoons(count: 201, noise: 0.1, seed: 3)
    #expect(a.count == 201 && a.featureCount == 2 && a.classCounts == [100, 101])
    #expect(try Dataset.twoMoons(count: 201, noise: 0.1, seed: 3) == a)
    #expect(try Dataset.twoMoons(count: 201, noise: 0.1, seed: 4) != a)
    // Without noise, every point lies on its unit half circle.
    let clean = try Dataset.twoMoons(count: 50, noise: 0)
    for i in 0..<clean.count {
      let p = clean.features(at: i)
      let (cx, cy): (Float, Float) = clean.labels[i] == 0 ? (0, 0) : (1, 0.5)
      #expect(abs((p.first! - cx) * (p.first! - cx) + (p.last! - cy) * (p.last! - cy) - 1) < 1e-5)
    }
    #expect(throws: TensorError.self) { try Dataset.twoMoons(count: 1) }
  }

  @Test func spiralsHaveOneArmPerClass() throws {
    let s = try Dataset.spirals(countPerClass: 40, classCount: 3, noise: 0, seed: 1)
    #expect(s.count == 120 && s.classCounts == [40, 40, 40])
    #expect(s.features.allSatisfy { abs($0) <= 1.0001 })
    #expect(try Dataset.spirals(countPerClass: 40, classCount: 3, noise: 0.05, seed: 2) != s)
    #expect(throws: TensorError.self) { try Dataset.spirals(countPerClass: 10, classCount: 1) }
  }

  @Test func xorLabelsFollowTheQuadrants() throws {
    let x = try Dataset.xor(count: 300, seed: 9)
    for i in 0..<x.count {
      let p = x.features(at: i)
      #expect(x.labels[i] == ((p.first! > 0) != (p.last! > 0) ? 1 : 0))
    }
    #expect(x.classCounts.allSatisfy { $0 > 100 })
    let table = Dataset.xorTruthTable()
    #expect(table.features == [0, 0, 0, 1, 1, 0, 1, 1] && table.labels == [0, 1, 1, 0])
  }
}
