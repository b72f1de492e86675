import BackpropIO
import Foundation

// Saving and loading a model by path, as PyTorch users write `torch.save(model.state_dict(), path)`:
//
//     try model.save(to: "/tmp/model.safetensors")
//     let loaded = try Sequential<Float>(contentsOf: "/tmp/model.safetensors")
//
// The file is the one `ModelFile` writes (safetensors with the architecture in its metadata).

extension Sequential {
  /// Writes the model (parameters in their own precision, architecture, dropout generator states)
  /// to the safetensors file at `path`, atomically.
  /// - Throws: `DataError.ioFailed` naming the file.
  public func save(to path: String, metadata: [String: String] = [:]) throws {
    try save(to: URL(fileURLWithPath: path), metadata: metadata)
  }

  /// Writes the model to the safetensors file at `url`, atomically; see `save(to:metadata:)`.
  /// - Throws: `DataError.ioFailed` naming the file.
  public func save(to url: URL, metadata: [String: String] = [:]) throws {
    try ModelFile.save(self, to: url, metadata: metadata)
  }

  /// Loads the model saved at `path`: the layers its architecture names, with its parameters
  /// (converted to `Scalar` when saved in the other precision), in training mode.
  ///
  /// - Parameter activation: between `Linear` layers of a file without `architecture` metadata
  ///   (a PyTorch `state_dict`).
  /// - Throws: `DataError` for an unreadable or damaged file; `TensorError` for a file that does
  ///   not describe a `Sequential` of known layers.
  public convenience init(contentsOf path: String, activation: LayerSpec = .relu) throws {
    try self.init(contentsOf: URL(fileURLWithPath: path), activation: activation)
  }

  /// Loads the model saved at `url`; see `init(contentsOf:activation:)` with a path.
  public convenience init(contentsOf url: URL, activation: LayerSpec = .relu) throws {
    let file = try SafeTensorsFile(contentsOf: url)
    let loaded: Sequential<Scalar> = try ModelFile.load(file, activation: activation)
    self.init(loaded.layers)
    generatorStates = loaded.generatorStates
    inputShape = loaded.inputShape
  }
}

extension ModelFile {
  /// Writes `model` to the file at `path` atomically; see `save(_:to:metadata:extraTensors:)`.
  /// - Throws: `DataError.ioFailed` naming the file.
  public static func save<Scalar>(
    _ model: Sequential<Scalar>, to path: String, metadata: [String: String] = [:], extraTensors: [String: SafeTensor] = [:]
  ) throws {
    try save(model, to: URL(fileURLWithPath: path), metadata: metadata, extraTensors: extraTensors)
  }

  /// Reads the file at `path` and rebuilds its model; returns the file too, for its metadata.
  /// (`Sequential<Float>(contentsOf: path)` when the model is all that is needed.)
  /// - Throws: `DataError` for an unreadable file, or the errors of `load(_:activation:)`.
  public static func load<Scalar>(contentsOf path: String, activation: LayerSpec = .relu) throws
    -> (model: Sequential<Scalar>, file: SafeTensorsFile)
  {
    try load(contentsOf: URL(fileURLWithPath: path), activation: activation)
  }
}
