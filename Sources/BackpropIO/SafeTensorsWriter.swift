import BackpropCore
import Foundation

extension SafeTensorsFile {
  /// The bytes of the file, deterministic for given contents.
  ///
  /// Like the reference implementation, tensors are laid out by decreasing element size, then by
  /// name, and the header is padded with spaces to a multiple of 8 bytes, so every tensor's data
  /// is aligned to its element size. `__metadata__` is written only when non-empty.
  ///
  /// - Throws: `TensorError.invalidArgument` when a tensor is named `__metadata__`.
  public func encoded() throws -> [UInt8] {
    if tensors["__metadata__"] != nil {
      throw TensorError.invalidArgument(op: "SafeTensorsFile", message: "'__metadata__' is reserved and cannot name a tensor")
    }
    let names = tensors.keys.sorted { a, b in
      let (wa, wb) = (tensors[a]!.dtype.byteWidth, tensors[b]!.dtype.byteWidth)
      return wa != wb ? wa > wb : a < b
    }
    var header = "{"
    var entries: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
      entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
    }
    var offset = 0
    for name in names {
      let t = tensors[name]!
      let shape = t.shape.map(String.init).joined(separator: ",")
      entries.append(
        "\(jsonString(name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}")
      offset += t.bytes.count
    }
    header += entries.joined(separator: ",") + "}"
    var headerBytes = Array(header.utf8)
    headerBytes += [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8)

    var out = [UInt8]()
    out.reserveCapacity(8 + headerBytes.count + offset)
    out += littleEndianBytes([UInt64(headerBytes.count)])
    out += headerBytes
    for name in names { out += tensors[name]!.bytes }
    return out
  }

  /// Writes the file atomically (see `AtomicFile.write(_:to:)`): a reader never sees a partly
  /// written file, and a crash leaves the previous version intact.
  ///
  /// - Throws: `DataError.ioFailed` naming the file, or the errors of `encoded()`.
  public func write(to url: URL) throws {
    try AtomicFile.write(encoded(), to: url)
  }
}

/// `text` as a JSON string literal: quotes, backslashes and control characters escaped.
func jsonString(_ text: String) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
    default: out.unicodeScalars.append(scalar)
    }
  }
  return out + "\""
}
