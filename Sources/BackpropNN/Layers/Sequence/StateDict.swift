import BackpropCore
import BackpropIO
import Foundation

extension Layer {
  /// Copies every parameter from `file` by its name (PyTorch `load_state_dict(strict=True)`
  /// for the parameters): each must be present with the same shape. `path` names the file in
  /// errors. Tensors in the file that the model lacks are an error too, except `lm_head.weight`
  /// when it equals the tied `transformer.wte.weight` (nanoGPT saves both). Nothing is changed
  /// unless every tensor fits. `allowingExtraTensors` skips the check for tensors the model
  /// lacks (e.g. optimizer state saved beside the parameters).
  /// - Throws: `DataError.malformed` naming the file and the tensor.
  public func loadParameters(from file: SafeTensorsFile, path: String, allowingExtraTensors: Bool = false) throws {
    var values: [(Tensor<Scalar>, [Scalar])] = []
    let params = namedParameters
    for (name, p) in params {
      guard let t = file.tensors[name] else {
        throw DataError.malformed(path: path, reason: "tensor \(name) \(p.shape) is missing (wrong architecture?)")
      }
      guard t.shape == p.shape else {
        throw DataError.malformed(path: path, reason: "tensor \(name) has shape \(t.shape); the model needs \(p.shape)")
      }
      values.append((p, try ModelFile.scalars(of: t)))
    }
    let known = Set(params.map(\.0))
    for name in file.tensors.keys.sorted() where !known.contains(name) && !allowingExtraTensors {
      if name == "lm_head.weight", known.contains("transformer.wte.weight"),
         file.tensors[name] == file.tensors["transformer.wte.weight"] { continue }
      throw DataError.malformed(path: path, reason: "tensor \(name) is not a parameter of \(summaryName) (wrong architecture?)")
    }
    for (p, v) in values { p.update { $0 = v } }
  }

  /// Reads a safetensors file and loads its parameters (see `loadParameters(from:path:)`).
  public func loadParameters(contentsOf url: URL, allowingExtraTensors: Bool = false) throws {
    try loadParameters(from: SafeTensorsFile(contentsOf: url), path: url.path, allowingExtraTensors: allowingExtraTensors)
  }

  /// The parameters as a safetensors file (names from `namedParameters`, each in its own precision).
  public func parameterFile(metadata: [String: String] = [:]) throws -> SafeTensorsFile {
    var tensors: [String: SafeTensor] = [:]
    for (name, p) in namedParameters { tensors[name] = try ModelFile.safeTensor(p) }
    return SafeTensorsFile(tensors: tensors, metadata: metadata)
  }
}
