import Foundation
import Testing
import _BackpropTestSupport

@testable import BackpropData

@Suite struct ShippedDataTests {
  @Test func digitsLoad() throws {
    let digits = try Dataset.digits(dataDirectory: repositoryDataDirectory)
    #expect(digits.count == 1797 && digits.featureCount == 64 && digits.classCount == 10)
    #expect(digits.classCounts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    #expect(digits.features.min() == 0 && digits.features.max() == 16)
    #expect(Array(digits.features(at: 0).prefix(8)) == [0, 0, 5, 13, 9, 1, 0, 0])
    #expect(Array(digits.labels.prefix(5)) == [0, 1, 2, 3, 4])
    #expect(digits.featureNames?.first == "pixel_0_0" && digits.featureNames?.last == "pixel_7_7")
  }

  /// The split is pinned: these numbers were also computed by an independent Python
  /// implementation of the same seeded, stratified procedure.
  @Test func digitsSplitIsFixed() throws {
    let all = try Dataset.digits(dataDirectory: repositoryDataDirectory)
    let train = try Dataset.digits(split: .train, dataDirectory: repositoryDataDirectory)
    let test = try Dataset.digits(split: .test, dataDirectory: repositoryDataDirectory)
    #expect(train.count == 1437 && test.count == 360)
    #expect(test.classCounts == [36, 37, 35, 37, 36, 36, 36, 36, 35, 36])
    let indices = try all.splitIndices(
      validationCount: Dataset.digitsTestCount, seed: Dataset.digitsSplitSeed, stratified: true)
    #expect(Array(indices.validation.prefix(10)) == [9, 16, 18, 20, 21, 24, 34, 42, 45, 46])
    #expect(indices.validation.reduce(0, +) == 307_399)
    #expect(try all.subset(indices: indices.validation).features == test.features)
    #expect(Set(indices.train).isDisjoint(with: indices.validation))
    #expect(test.name == "digits/test")
  }

  @Test func diabetesLoads() throws {
    let data = try Dataset.diabetes(dataDirectory: repositoryDataDirectory)
    #expect(data.count == 442 && data.featureCount == 10 && data.task == .regression && data.targetCount == 1)
    #expect(data.featureNames == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"])
    #expect(Array(data.features(at: 0)) == [59, 2, 32.1, 101, 157, 93.2, 38, 4, 4.8598, 87])
    #expect(Array(data.targets.prefix(3)) == [151, 75, 141])
    #expect(data.targets.min() == 25 && data.targets.max() == 346)
  }

  @Test func locatesDataInOrderOfPrecedence() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanup() }
    for sub in ["env", "resources", "repo/Data", "repo/.build/debug", "bin/Data", "bin/deep/er"] {
      try FileManager.default.createDirectory(at: dir.file(sub), withIntermediateDirectories: true)
    }
    for place in ["env", "resources", "repo/Data", "bin/Data"] { _ = try dir.write([1], to: "\(place)/x.csv") }
    func locate(env: String? = nil, resources: String? = nil, cwd: String? = nil, exe: String? = nil) -> String? {
      Dataset.locateShippedData(
        named: "x.csv", in: resources.map(dir.file), environment: env.map { ["BACKPROP_DATA_DIR": dir.file($0).path] } ?? [:],
        currentDirectory: cwd.map(dir.file), executable: exe.map(dir.file)
      )?.path.replacingOccurrences(of: dir.url.path + "/", with: "")
    }
    #expect(locate(env: "env", resources: "resources", cwd: "repo") == "env/x.csv")
    #expect(locate(env: "missing", resources: "resources", cwd: "repo") == "resources/x.csv")
    #expect(locate(resources: "repo", cwd: "bin") == "repo/Data/x.csv")
    #expect(locate(cwd: "repo/.build/debug") == "repo/Data/x.csv")
    #expect(locate(cwd: "env", exe: "bin/deep/er/tool") == "bin/Data/x.csv")
    #expect(locate(cwd: "env") == nil)
    #expect(Dataset.locateShippedData(named: "digits.csv.gz", in: repositoryDataDirectory) != nil)
  }

  @Test func missingShippedDataSaysWhereToPointIt() {
    let error = expectDataError { _ = try Dataset.shippedFile("no-such-data.csv", in: URL(fileURLWithPath: "/nonexistent")) }
    #expect(error?.description.hasPrefix("no-such-data.csv not found: ") == true)
    #expect(error?.description.contains("set BACKPROP_DATA_DIR") == true)
    #expect(error?.description.contains("\n") == false)
  }
}
