import Foundation
import Testing

@testable import BackpropData

@Suite struct DatasetTests {
  static func small() throws -> Dataset {
    // 6 samples, 2 features, classes 0 0 0 1 1 2.
    try Dataset(
      name: "small", features: [0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15], featureCount: 2,
      labels: [0, 0, 0, 1, 1, 2])
  }

  @Test func constructionChecksSizes() throws {
    let data = try Self.small()
    #expect(data.count == 6 && data.classCount == 3 && data.task == .classification)
    #expect(Array(data.features(at: 2)) == [2, 12])
    #expect(data.classCounts == [3, 2, 1])
    #expect(throws: TensorError.self) { try Dataset(name: "x", features: [1, 2, 3], featureCount: 2, labels: [0]) }
    #expect(throws: TensorError.self) { try Dataset(name: "x", features: [1], featureCount: 1, labels: [3], classCount: 2) }
    #expect(throws: TensorError.self) { try Dataset(name: "x", features: [1], featureCount: 1, labels: [-1]) }
    #expect(throws: TensorError.self) { try Dataset(name: "x", features: [1, 2], featureCount: 1, targets: [1, 2, 3], targetCount: 2) }
    let regression = try Dataset(name: "r", features: [1, 2], featureCount: 1, targets: [5, 6, 7, 8], targetCount: 2)
    #expect(regression.count == 2 && regression.task == .regression && regression.classCount == 0)
  }

  @Test func subsetGathersRowsInOrder() throws {
    let data = try Self.small()
    let part = try data.subset(indices: [5, 0, 5])
    #expect(part.count == 3 && part.features == [5, 15, 0, 10, 5, 15] && part.labels == [2, 0, 2])
    #expect(part.classCount == 3, "class count is kept even if a class is absent")
    #expect(throws: TensorError.self) { try data.subset(indices: [6]) }
    let regression = try Dataset(name: "r", features: [1, 2, 3], featureCount: 1, targets: [10, 11, 20, 21, 30, 31], targetCount: 2)
    #expect(try regression.subset(indices: [2, 0]).targets == [30, 31, 10, 11])
  }

  @Test func stratifiedSplitKeepsClassShares() throws {
    let labels = (0..<100).map { $0 < 60 ? 0 : ($0 < 90 ? 1 : 2) }
    let data = try Dataset(name: "d", features: (0..<100).map(Float.init), featureCount: 1, labels: labels)
    let (train, validation) = try data.split(validationFraction: 0.2, seed: 5)
    #expect(train.count == 80 && validation.count == 20)
    #expect(validation.classCounts == [12, 6, 2])
    #expect(Set(train.features + validation.features) == Set((0..<100).map(Float.init)))
    #expect(train.features == train.features.sorted(), "original order kept")
    #expect(train.name == "d/train" && validation.name == "d/validation")
    let again = try data.split(validationFraction: 0.2, seed: 5)
    #expect(again.validation == validation)
    #expect(try data.split(validationFraction: 0.2, seed: 6).validation != validation)
    let plain = try data.split(validationCount: 7, seed: 5, stratified: false)
    #expect(plain.validation.count == 7 && plain.train.count == 93)
    #expect(throws: TensorError.self) { try data.split(validationCount: 101, seed: 0) }
    #expect(throws: TensorError.self) { try data.split(validationFraction: 1.5, seed: 0) }
  }

  @Test func largestRemainderQuotasAddUp() {
    #expect(largestRemainderQuotas(total: 360, weights: [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]).reduce(0, +) == 360)
    #expect(largestRemainderQuotas(total: 2, weights: [1, 1, 1]) == [1, 1, 0])
    #expect(largestRemainderQuotas(total: 5, weights: [0, 0]) == [0, 0])
  }

  @Test func standardizationIsFittedOnTrainAndAppliedToTest() throws {
    let train = try Dataset(name: "t", features: [1, 5, 3, 5], featureCount: 2, labels: [0, 1])
    let scaler = FeatureScaler.standardization(fittedTo: train)
    #expect(scaler.offset == [2, 5] && scaler.scale == [1, 1], "constant column gets scale 1")
    #expect(try scaler.transform(train).features == [-1, 0, 1, 0])
    let test = try Dataset(name: "u", features: [4, 7], featureCount: 2, labels: [0])
    #expect(try scaler.transform(test).features == [2, 2])
    #expect(try scaler.inverseTransform([2, 2]) == [4, 7])
    let roundTrip = try JSONDecoder().decode(FeatureScaler.self, from: JSONEncoder().encode(scaler))
    #expect(roundTrip == scaler)
    let zeroScale = Data(#"{"offset":[0],"scale":[0]}"#.utf8)
    #expect(throws: TensorError.self) { try JSONDecoder().decode(FeatureScaler.self, from: zeroScale) }
    let wide = try Dataset(name: "w", features: [1, 2, 3], featureCount: 3, labels: [0])
    #expect(throws: TensorError.self) { try scaler.transform(wide) }
  }

  @Test func minMaxAndConstantScaling() throws {
    let data = try Dataset(name: "t", features: [0, -2, 255, 2, 51, 0], featureCount: 2, labels: [0, 1, 0])
    #expect(try FeatureScaler.minMax(fittedTo: data).transform(data).features == [0, 0, 1, 1, 0.2, 0.5])
    let pixels = try FeatureScaler.dividing(by: 255, columns: 2)
    #expect(try pixels.transform(data).features == [0, -2, 255, 2, 51, 0].map { $0 / 255 })
    #expect(throws: TensorError.self) { try FeatureScaler.dividing(by: 0, columns: 2) }
    #expect(throws: TensorError.self) { try FeatureScaler.standardization(of: [1, 2, 3], columns: 2) }
  }

  @Test func targetsCanBeStandardized() throws {
    let data = try Dataset(name: "r", features: [0, 0, 0], featureCount: 1, targets: [10, 20, 30])
    let scaler = try FeatureScaler.standardization(of: data.targets, columns: data.targetCount)
    let scaled = try scaler.transformTargets(data)
    #expect(abs(scaled.targets[0] + 1.2247449) < 1e-6 && scaled.targets[1] == 0)
    #expect(try scaler.inverseTransform(scaled.targets) == [10, 20, 30])
  }
}
