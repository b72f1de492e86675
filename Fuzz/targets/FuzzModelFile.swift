// libFuzzer target: loading a model checkpoint (`ModelFile.load`) from safetensors bytes — the
// architecture metadata and the PyTorch-style `<index>.weight` inference included. A hostile
// model file must throw, never crash or allocate memory it does not hold.
// Seeds in Fuzz/corpus/model/ (model files written by ModelFile, PyTorch-style state dicts).
import BackpropData
import BackpropNN

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let file = try? SafeTensorsFile(decoding: bytes, path: "fuzz-model.safetensors") else { return 0 }
  guard let model: Sequential<Float> = try? ModelFile.load(file) else { return 0 }
  // Every parameter came from the file: the model holds no more numbers than the file does.
  let parameters = model.namedParameters
  let total = parameters.reduce(0) { $0 + $1.1.count }
  precondition(total * 2 <= bytes.count, "the model has \(total) parameters but the file only \(bytes.count) bytes")
  for (name, p) in parameters {
    precondition(file.tensors[name]?.shape == p.shape, "parameter \(name) does not come from the file")
  }
  // Saving it again and loading that gives the same parameters.
  if let again = try? ModelFile.encode(model), let reloaded: Sequential<Float> = try? ModelFile.load(again) {
    precondition(reloaded.namedParameters.map(\.1.scalars).elementsEqual(parameters.map(\.1.scalars)) {
      $0.map(\.bitPattern) == $1.map(\.bitPattern)
    }, "save/load round trip changed the parameters")
  } else {
    preconditionFailure("a loaded model could not be saved and loaded again")
  }
  return 0
}
