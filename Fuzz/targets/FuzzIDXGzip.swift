// libFuzzer target: the IDX reader's gzip path. The input is compressed first, so every run goes
// through the incremental GzipReader (header first, then exactly the declared payload + 1 byte)
// with a well-formed gzip stream around fuzzed IDX contents. Corrupt gzip streams are covered by
// the `idx` target (its seeds include .gz files). Seeds in Fuzz/corpus/idx-gzip/ (raw IDX files).
import BackpropData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let raw = Array(UnsafeBufferPointer(start: data, count: size))
  let compressed: [UInt8]
  do { compressed = try Gzip.compress(raw, level: 1) } catch { preconditionFailure("compress failed: \(error)") }
  // Decompressing must give back the input exactly (within the limit).
  do {
    let back = try Gzip.decompress(compressed, path: "fuzz.gz")
    precondition(back == raw, "gzip round trip changed the data")
  } catch { preconditionFailure("decompress of a valid stream failed: \(error)") }

  let plain = try? IDXArray(decoding: raw, path: "fuzz.idx")
  let viaGzip = try? IDXArray(decoding: compressed, path: "fuzz.idx.gz")
  // Raw and gzip'd forms of the same bytes are accepted or refused together, with the same result.
  // (Input that itself starts with the gzip magic is a nested stream: skip the comparison.)
  if !Gzip.isCompressed(raw) {
    precondition(plain == viaGzip, "raw and gzip'd decodes disagree")
  }
  if let viaGzip {
    precondition(viaGzip.count * viaGzip.dataType.byteWidth == viaGzip.bytes.count, "size disagrees with shape")
    precondition(viaGzip.floats().count == viaGzip.count, "floats() count")
  }
  return 0
}
