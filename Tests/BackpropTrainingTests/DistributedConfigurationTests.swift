import BackpropTraining
import Foundation
import Testing

/// The data-parallel fields of `TrainingConfiguration`: defaults, decoding of older files,
/// the global batch, linear learning-rate scaling, validation.
@Suite struct DistributedConfigurationTests {
  @Test func settingsSavedBeforeDataParallelismDecodeAsOneProcess() throws {
    var c = TrainingConfiguration()
    c.batchSize = 32
    let encoded = try JSONEncoder().encode(c)
    var object = try JSONSerialization.jsonObject(with: encoded) as! [String: Any]
    #expect(object["ranks"] as? Int == 1 && object["scalesLearningRateWithRanks"] as? Bool == false)
    object["ranks"] = nil
    object["scalesLearningRateWithRanks"] = nil
    let old = try JSONDecoder().decode(TrainingConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
    #expect(old == c)
    // The older fields stay required: a file without one is refused, not silently defaulted.
    object["batchSize"] = nil
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(TrainingConfiguration.self, from: JSONSerialization.data(withJSONObject: object)) }
  }

  @Test func globalBatchAndLinearScaling() throws {
    var c = TrainingConfiguration()
    (c.optimizer, c.learningRate, c.batchSize, c.ranks) = (.sgd, 0.1, 64, 4)
    #expect(c.globalBatchSize == 256)
    #expect(c.resolvedLearningRate == 0.1, "no scaling unless asked")
    c.scalesLearningRateWithRanks = true
    #expect(c.resolvedLearningRate == 0.4)
    c.ranks = 0
    #expect(throws: (any Error).self) { try c.validate() }
    (c.ranks, c.batchSize) = (1 << 10, TrainingConfiguration.maximumBatchSize)
    #expect(throws: (any Error).self) { try c.validate() }
  }
}
