// libFuzzer target: the IDX reader on raw bytes (raw IDX, or gzip'd IDX told apart by the magic).
// Built and run by scripts/fuzz.sh; seeds in Fuzz/corpus/idx/.
//
// Any thrown error is fine. A crash, a hang or an allocation past -rss_limit_mb is a bug, and so
// is a decoded array whose invariants do not hold (checked below).
import BackpropData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let array = try? IDXArray(decoding: bytes, path: "fuzz.idx") else { return 0 }
  checkIDX(array)
  return 0
}

/// What every successfully decoded IDX array must satisfy.
func checkIDX(_ array: IDXArray) {
  precondition((1...255).contains(array.shape.count), "rank \(array.shape.count)")
  precondition(array.count * array.dataType.byteWidth == array.bytes.count, "size disagrees with shape")
  let floats = array.floats()
  precondition(floats.count == array.count, "floats() count")
  if let ints = try? array.integers() { precondition(ints.count == array.count, "integers() count") }
  // Re-encoding must give back a file that decodes to the same array.
  let again = try? IDXArray(decoding: array.encoded(), path: "fuzz-reencoded.idx")
  precondition(again == array, "encode/decode round trip changed the array")
}
