import BackpropDistributed
import Foundation

extension DataParallel {
  /// Joins a trainer to this group: checks that every rank has the same `settings` (encoded as
  /// sorted-key JSON), `configurationText` and `position` (e.g. "epoch 3"), then gives every rank
  /// rank 0's weights. Shared by `Trainer` and `LanguageModelTrainer`.
  /// - Throws: `DistributedError.configurationMismatch` on every rank when the ranks differ;
  ///   `CommunicatorError` for a failed or timed-out collective.
  func join(settings: some Encodable, configurationText: String, position: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let text = String(decoding: try encoder.encode(settings), as: UTF8.self)
    try checkSameConfiguration(text + "\n" + configurationText + "\n" + position)
    try broadcastInitialState()
  }
}
