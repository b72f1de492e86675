// libFuzzer target: the safetensors reader. Every accepted file is also converted (floats,
// doubles, integers), re-encoded and decoded again, which must give the same file.
// Seeds in Fuzz/corpus/safetensors/; a dictionary of header tokens in Fuzz/dict/safetensors.dict.
import BackpropData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let file = try? SafeTensorsFile(decoding: bytes, path: "fuzz.safetensors") else { return 0 }
  var total = 0
  for (name, tensor) in file.tensors {
    precondition(name != "__metadata__", "a tensor named __metadata__")
    precondition(tensor.shape.allSatisfy { $0 >= 0 }, "negative size")
    precondition(tensor.elementCount * tensor.dtype.byteWidth == tensor.bytes.count, "size disagrees with shape")
    if let f = try? tensor.floats() { precondition(f.count == tensor.elementCount, "floats() count") }
    if let d = try? tensor.doubles() { precondition(d.count == tensor.elementCount, "doubles() count") }
    if let i = try? tensor.integers() { precondition(i.count == tensor.elementCount, "integers() count") }
    total += tensor.bytes.count
  }
  precondition(total <= bytes.count, "tensors hold more bytes than the file")
  do {
    let again = try SafeTensorsFile(decoding: file.encoded(), path: "fuzz-reencoded.safetensors")
    precondition(again == file, "encode/decode round trip changed the file")
  } catch {
    preconditionFailure("re-encoding an accepted file failed: \(error)")
  }
  return 0
}
