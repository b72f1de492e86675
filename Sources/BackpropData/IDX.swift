import Foundation

/// The element type of an IDX file: the third byte of its magic number.
public enum IDXDataType: UInt8, Sendable, CaseIterable {
  /// Unsigned byte (`0x08`), the type of MNIST and Fashion-MNIST images and labels.
  case uint8 = 0x08
  /// Signed byte (`0x09`).
  case int8 = 0x09
  /// Big-endian 16-bit integer (`0x0B`).
  case int16 = 0x0B
  /// Big-endian 32-bit integer (`0x0C`).
  case int32 = 0x0C
  /// Big-endian IEEE 754 single (`0x0D`).
  case float32 = 0x0D
  /// Big-endian IEEE 754 double (`0x0E`).
  case float64 = 0x0E

  /// Bytes per element.
  public var byteWidth: Int {
    switch self {
    case .uint8, .int8: return 1
    case .int16: return 2
    case .int32, .float32: return 4
    case .float64: return 8
    }
  }
}

/// An n-dimensional array read from (or to be written to) an IDX file, the format of MNIST and
/// Fashion-MNIST.
///
/// The file is a 4-byte magic `00 00 <type> <rank>`, then `rank` big-endian `UInt32` sizes, then
/// the elements in row-major order, big-endian. `bytes` holds those elements exactly as stored.
///
/// See also: http://yann.lecun.com/exdb/mnist/ ("FILE FORMATS FOR THE MNIST DATABASE").
public struct IDXArray: Sendable, Equatable {
  /// The element type.
  public let dataType: IDXDataType
  /// The size of each dimension, outermost first (e.g. `[60000, 28, 28]`).
  public let shape: [Int]
  /// The elements, row-major and big-endian, as stored in the file.
  public let bytes: [UInt8]

  /// The number of elements: the product of `shape`.
  public var count: Int { shape.reduce(1, *) }

  /// Wraps already-encoded elements, checking that their size matches `shape`.
  ///
  /// - Throws: `TensorError.invalidArgument` when the rank is not 1...255, a size is negative or
  ///   does not fit in 32 bits, or `bytes.count` is not `shape` × `dataType.byteWidth`.
  public init(dataType: IDXDataType, shape: [Int], bytes: [UInt8]) throws {
    guard (1...255).contains(shape.count), shape.allSatisfy({ (0...Int(UInt32.max)).contains($0) }),
      let n = checkedByteCount(shape: shape, width: dataType.byteWidth), n == bytes.count
    else {
      throw TensorError.invalidArgument(
        op: "IDXArray", message: "shape \(shape) of \(dataType) does not match \(bytes.count) bytes")
    }
    self.dataType = dataType
    self.shape = shape
    self.bytes = bytes
  }

  /// Reads an IDX file, gzip-compressed or raw (told apart by the gzip magic `1f 8b`).
  ///
  /// - Parameter maxBytes: the most data accepted after decompression; larger declared sizes are
  ///   refused before anything is allocated for them.
  /// - Throws: `DataError` naming the file: missing, truncated, wrong magic, unknown type, sizes
  ///   that do not match the file's length, too large, or corrupt gzip data.
  public init(contentsOf url: URL, maxBytes: Int = DataLimits.maxBytes) throws {
    var raw = try readFileBytes(url, maxBytes: maxBytes)
    try self.init(taking: &raw, path: url.path, maxBytes: maxBytes)
  }

  /// Decodes the bytes of an IDX file (gzip-compressed or raw); `path` names it in errors.
  public init(decoding fileBytes: [UInt8], path: String = "<memory>", maxBytes: Int = DataLimits.maxBytes)
    throws
  {
    var bytes = fileBytes
    try self.init(taking: &bytes, path: path, maxBytes: maxBytes)
  }

  /// Decodes the bytes of an IDX file, leaving `fileBytes` empty. An uncompressed file's
  /// elements are the same array with the header removed, so a file read here is never held
  /// twice (when the caller holds the only reference to it).
  private init(taking fileBytes: inout [UInt8], path: String, maxBytes: Int) throws {
    if Gzip.isCompressed(fileBytes) {
      // Inflate the header first, then exactly the declared payload plus one byte (to notice
      // trailing data): a damaged header can never make us inflate or allocate more than that.
      let reader = try GzipReader(fileBytes, path: path)
      let (type, shape, payload) = try Self.parseHeader(
        path: path, maxBytes: maxBytes, read: { try reader.read(upTo: $0) })
      let body = try reader.read(upTo: payload &+ 1)
      try self.init(checking: body, type: type, shape: shape, payload: payload, path: path)
    } else {
      var offset = 0
      let (type, shape, payload) = try Self.parseHeader(
        path: path, maxBytes: maxBytes,
        read: { n in
          let end = min(fileBytes.count, offset + n)
          defer { offset = end }
          return Array(fileBytes[offset..<end])
        })
      fileBytes.removeSubrange(0..<offset)  // in place: the array's storage is reused
      let body = fileBytes
      fileBytes = []
      try self.init(checking: body, type: type, shape: shape, payload: payload, path: path)
    }
  }

  private init(checking body: [UInt8], type: IDXDataType, shape: [Int], payload: Int, path: String) throws {
    if body.count < payload {
      throw DataError.truncated(
        path: path, reason: "shape \(shape) of \(type) needs \(payload) bytes of data, found \(body.count)")
    }
    if body.count > payload {
      throw DataError.malformed(
        path: path, reason: "more data than shape \(shape) of \(type) declares (\(payload) bytes)")
    }
    self.dataType = type
    self.shape = shape
    self.bytes = body
  }

  /// Reads and checks the magic and the sizes; returns the type, shape and payload byte count.
  private static func parseHeader(
    path: String, maxBytes: Int, read: (Int) throws -> [UInt8]
  ) throws -> (IDXDataType, [Int], Int) {
    let magic = try read(4)
    guard magic.count == 4 else {
      throw DataError.truncated(path: path, reason: "\(magic.count) bytes, shorter than the 4-byte IDX magic")
    }
    guard magic[0] == 0, magic[1] == 0 else {
      let hex = magic.map { String(format: "%02x", $0) }.joined(separator: " ")
      throw DataError.malformed(
        path: path, reason: "wrong magic \(hex): not an IDX file (expected 00 00 <type> <rank>)")
    }
    guard let type = IDXDataType(rawValue: magic[2]) else {
      throw DataError.malformed(path: path, reason: String(format: "unknown IDX element type 0x%02x", magic[2]))
    }
    let rank = Int(magic[3])
    guard rank > 0 else { throw DataError.malformed(path: path, reason: "wrong rank 0 (an IDX file needs at least one dimension)") }
    let dims = try read(4 * rank)
    guard dims.count == 4 * rank else {
      throw DataError.truncated(path: path, reason: "the header declares \(rank) dimensions but ends after \(dims.count / 4)")
    }
    let shape = (0..<rank).map { i in
      dims[4 * i..<4 * i + 4].reduce(0) { $0 << 8 | Int($1) }
    }
    guard let payload = checkedByteCount(shape: shape, width: type.byteWidth), payload <= maxBytes else {
      throw DataError.tooLarge(
        path: path, reason: "shape \(shape) of \(type) declares more than the limit of \(maxBytes) bytes")
    }
    return (type, shape, payload)
  }

  /// The elements converted to `Float` (integers exactly up to 2^24, doubles rounded).
  public func floats() -> [Float] {
    switch dataType {
    case .uint8: return bytes.map { Float($0) }
    case .int8: return bytes.map { Float(Int8(bitPattern: $0)) }
    case .int16: return decode(width: 2) { Float(Int16(bitPattern: UInt16(truncatingIfNeeded: $0))) }
    case .int32: return decode(width: 4) { Float(Int32(bitPattern: UInt32(truncatingIfNeeded: $0))) }
    case .float32: return decode(width: 4) { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) }
    case .float64: return decode(width: 8) { Float(Double(bitPattern: $0)) }
    }
  }

  /// The elements as integers, for labels.
  ///
  /// - Throws: `TensorError.invalidArgument` for a floating-point element that is not a whole number.
  public func integers() throws -> [Int] {
    switch dataType {
    case .uint8: return bytes.map { Int($0) }
    case .int8: return bytes.map { Int(Int8(bitPattern: $0)) }
    case .int16: return decode(width: 2) { Int(Int16(bitPattern: UInt16(truncatingIfNeeded: $0))) }
    case .int32: return decode(width: 4) { Int(Int32(bitPattern: UInt32(truncatingIfNeeded: $0))) }
    case .float32, .float64:
      return try floats().map { value in
        guard let i = Int(exactly: value) else {
          throw TensorError.invalidArgument(op: "IDXArray.integers", message: "element \(value) is not an integer")
        }
        return i
      }
    }
  }

  /// The complete IDX file (uncompressed): magic, sizes, elements. Pass it to `Gzip.compress`
  /// for a `.gz` file.
  public func encoded() -> [UInt8] {
    var out: [UInt8] = [0, 0, dataType.rawValue, UInt8(shape.count)]
    for size in shape {
      out += [UInt8(truncatingIfNeeded: size >> 24), UInt8(truncatingIfNeeded: size >> 16),
              UInt8(truncatingIfNeeded: size >> 8), UInt8(truncatingIfNeeded: size)]
    }
    return out + bytes
  }

  /// Decodes big-endian words of `width` bytes, then maps each through `convert`.
  private func decode<T>(width: Int, _ convert: (UInt64) -> T) -> [T] {
    (0..<bytes.count / width).map { i in
      convert(bytes[i * width..<(i + 1) * width].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }
  }
}
