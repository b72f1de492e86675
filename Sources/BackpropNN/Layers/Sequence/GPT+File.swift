import BackpropCore
import BackpropIO
import Foundation

extension GPTConfiguration {
  /// The configuration as safetensors metadata (`gpt.vocabularySize`, …), nanoGPT-style names aside.
  public var metadata: [String: String] {
    ["architecture": "gpt", "gpt.vocabularySize": "\(vocabularySize)", "gpt.blockSize": "\(blockSize)",
     "gpt.layers": "\(layers)", "gpt.heads": "\(heads)", "gpt.embedDimension": "\(embedDimension)",
     "gpt.tiedHead": "\(tiedHead)", "gpt.headBias": "\(headBias)"]
  }

  /// Reads `metadata` as written by `metadata`; `path` names the file in errors.
  /// - Throws: `DataError.malformed` naming the file and the missing or bad key.
  public init(metadata m: [String: String], path: String) throws {
    func int(_ key: String) throws -> Int {
      guard let text = m["gpt.\(key)"], let v = Int(text), v > 0 else {
        throw DataError.malformed(path: path, reason: "metadata gpt.\(key) is missing or not a positive integer (not a GPT file?)")
      }
      return v
    }
    self.init(vocabularySize: try int("vocabularySize"), blockSize: try int("blockSize"), layers: try int("layers"),
              heads: try int("heads"), embedDimension: try int("embedDimension"), tiedHead: m["gpt.tiedHead"] != "false",
              headBias: m["gpt.headBias"] == "true")
    guard embedDimension % heads == 0 else {
      throw DataError.malformed(path: path, reason: "gpt.embedDimension \(embedDimension) is not a multiple of gpt.heads \(heads)")
    }
  }
}

extension GPT {
  /// Writes the parameters (nanoGPT names) and the configuration (metadata) atomically;
  /// `metadata` adds entries (e.g. a vocabulary).
  public func save(to url: URL, metadata: [String: String] = [:]) throws {
    try parameterFile(metadata: configuration.metadata.merging(metadata) { _, new in new }).write(to: url)
  }

  /// A model rebuilt from a file written by `save(to:)`: configuration from its metadata, then
  /// every parameter checked and loaded.
  /// - Throws: `DataError` naming the file (and the tensor or key) if it is not such a file.
  public convenience init(contentsOf url: URL) throws {
    let file = try SafeTensorsFile(contentsOf: url)
    self.init(try GPTConfiguration(metadata: file.metadata, path: url.path))
    try loadParameters(from: file, path: url.path)
  }
}
