import BackpropCore
import Foundation

/// A safetensors file (Hugging Face's format for tensors): named tensors plus string metadata.
///
/// Layout: an 8-byte little-endian header length `N`, `N` bytes of UTF-8 JSON
/// `{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {"key": "value"}}`, then the data buffer, which the offsets index.
///
/// Reading checks everything a damaged or hostile file could get wrong and throws a `DataError`
/// naming the file; writing is atomic (`AtomicFile`).
///
/// See also: https://github.com/huggingface/safetensors
public struct SafeTensorsFile: Sendable, Equatable {
  /// The tensors by name.
  public var tensors: [String: SafeTensor]
  /// Free-form string metadata (`__metadata__` in the header).
  public var metadata: [String: String]

  /// Largest header accepted when reading (100 MB), as in the reference implementation.
  public static let maxHeaderBytes = 100_000_000

  /// A file with the given tensors and metadata.
  public init(tensors: [String: SafeTensor] = [:], metadata: [String: String] = [:]) {
    self.tensors = tensors
    self.metadata = metadata
  }

  /// Reads and validates a safetensors file.
  ///
  /// - Throws: `DataError` naming the file; see `init(decoding:path:)` for what is checked.
  public init(contentsOf url: URL, maxBytes: Int = DataLimits.maxBytes) throws {
    try self.init(decoding: readFileBytes(url, maxBytes: maxBytes), path: url.path)
  }

  /// Decodes and validates the bytes of a safetensors file; `path` names it in errors.
  ///
  /// Rejected: a header length past the end of the file or over 100 MB; a header that is not
  /// UTF-8 or not a JSON object; duplicate names; an unknown dtype; a shape that is not a list
  /// of non-negative integers; offsets that are not `[begin, end]` with `begin <= end`, that
  /// disagree with shape × dtype size, overlap, leave gaps, or run past the end of the buffer.
  public init(decoding bytes: [UInt8], path: String = "<memory>") throws {
    guard bytes.count >= 8 else {
      throw DataError.truncated(path: path, reason: "\(bytes.count) bytes, shorter than the 8-byte header length")
    }
    let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    guard headerLength <= UInt64(Self.maxHeaderBytes) else {
      throw DataError.tooLarge(
        path: path, reason: "header length \(headerLength) is over the limit of \(Self.maxHeaderBytes) bytes")
    }
    guard Int(headerLength) <= bytes.count - 8 else {
      throw DataError.truncated(
        path: path, reason: "header length \(headerLength) is larger than the \(bytes.count - 8) bytes after it")
    }
    let headerEnd = 8 + Int(headerLength)
    let headerBytes = Array(bytes[8..<headerEnd])
    guard String(validating: headerBytes, as: UTF8.self) != nil else {
      throw DataError.malformed(path: path, reason: "the header is not valid UTF-8")
    }
    let header: JSONValue
    do { header = try JSONParser.parse(headerBytes) } catch let e as JSONParseError {
      throw DataError.malformed(path: path, reason: "invalid JSON header at byte \(e.offset): \(e.message)")
    }
    guard case let .object(entries) = header else {
      throw DataError.malformed(path: path, reason: "the header is \(header.kind), not a JSON object")
    }

    let bufferLength = bytes.count - headerEnd
    var metadata: [String: String] = [:]
    var layout: [(name: String, dtype: SafeTensorsDType, shape: [Int], begin: Int, end: Int)] = []
    for (name, value) in entries {
      if name == "__metadata__" {
        metadata = try Self.parseMetadata(value, path: path)
      } else {
        let (dtype, shape, begin, end) = try Self.parseEntry(name, value, path: path)
        guard end <= bufferLength else {
          throw DataError.truncated(
            path: path, reason: "tensor '\(name)': data_offsets end \(end) is past the end of the \(bufferLength)-byte data buffer")
        }
        layout.append((name, dtype, shape, begin, end))
      }
    }

    // The tensors must tile the buffer exactly, as the reference implementation requires.
    layout.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    var cursor = 0
    var previous: String?
    for entry in layout {
      if entry.begin < cursor {
        throw DataError.malformed(
          path: path, reason: "tensors '\(previous ?? "")' and '\(entry.name)' overlap (offset \(entry.begin) < \(cursor))")
      }
      if entry.begin > cursor {
        throw DataError.malformed(
          path: path, reason: "\(entry.begin - cursor) bytes before tensor '\(entry.name)' belong to no tensor")
      }
      cursor = entry.end
      previous = entry.name
    }
    guard cursor == bufferLength else {
      throw DataError.malformed(path: path, reason: "the last \(bufferLength - cursor) bytes of the data buffer belong to no tensor")
    }

    var tensors: [String: SafeTensor] = [:]
    for entry in layout {
      tensors[entry.name] = try SafeTensor(
        dtype: entry.dtype, shape: entry.shape, bytes: Array(bytes[headerEnd + entry.begin..<headerEnd + entry.end]))
    }
    self.init(tensors: tensors, metadata: metadata)
  }

  private static func parseMetadata(_ value: JSONValue, path: String) throws -> [String: String] {
    guard case let .object(pairs) = value else {
      throw DataError.malformed(path: path, reason: "__metadata__ is \(value.kind), not an object of strings")
    }
    var metadata: [String: String] = [:]
    for (key, item) in pairs {
      guard case let .string(text) = item else {
        throw DataError.malformed(path: path, reason: "__metadata__ value for '\(key)' is \(item.kind), not a string")
      }
      metadata[key] = text
    }
    return metadata
  }

  private static func parseEntry(_ name: String, _ value: JSONValue, path: String) throws
    -> (SafeTensorsDType, [Int], Int, Int)
  {
    func bad(_ reason: String) -> DataError { .malformed(path: path, reason: "tensor '\(name)': \(reason)") }
    guard case let .object(fields) = value else { throw bad("entry is \(value.kind), not an object") }
    func field(_ key: String) throws -> JSONValue {
      guard let v = fields.first(where: { $0.key == key })?.value else { throw bad("missing \"\(key)\"") }
      return v
    }
    guard case let .string(dtypeName) = try field("dtype") else { throw bad("\"dtype\" is not a string") }
    guard let dtype = SafeTensorsDType(rawValue: dtypeName) else { throw bad("unknown dtype '\(dtypeName)'") }
    guard case let .array(shapeValues) = try field("shape") else { throw bad("\"shape\" is not an array") }
    let shape = try shapeValues.map { v -> Int in
      guard let size = v.nonNegativeInteger else { throw bad("shape element \(v.textForMessages) is not a non-negative integer") }
      return size
    }
    guard case let .array(offsetValues) = try field("data_offsets"), offsetValues.count == 2,
      let begin = offsetValues[0].nonNegativeInteger, let end = offsetValues[1].nonNegativeInteger
    else { throw bad("\"data_offsets\" is not [begin, end] with non-negative integers") }
    guard begin <= end else { throw bad("data_offsets [\(begin), \(end)] are out of order") }
    guard let size = checkedByteCount(shape: shape, width: dtype.byteWidth) else {
      throw DataError.tooLarge(path: path, reason: "tensor '\(name)': shape \(shape) of \(dtypeName) overflows")
    }
    guard end - begin == size else {
      throw bad("data_offsets [\(begin), \(end)] hold \(end - begin) bytes, but shape \(shape) of \(dtypeName) needs \(size)")
    }
    return (dtype, shape, begin, end)
  }

  /// The tensor called `name`.
  ///
  /// - Throws: `TensorError.invalidArgument` listing the names there are, when it is missing.
  public func tensor(named name: String) throws -> SafeTensor {
    guard let tensor = tensors[name] else {
      let names = tensors.keys.sorted()
      throw TensorError.invalidArgument(
        op: "SafeTensorsFile",
        message: "no tensor named '\(name)' (has \(names.prefix(10).joined(separator: ", "))\(names.count > 10 ? ", ..." : ""))")
    }
    return tensor
  }

  /// The shape of tensor `name`.
  public func shape(named name: String) throws -> [Int] { try tensor(named: name).shape }

  /// Tensor `name` as `Float`s (from F32, F16, BF16, or rounded from F64).
  public func floats(named name: String) throws -> [Float] { try tensor(named: name).floats() }

  /// Tensor `name` as `Double`s (from F64, F32, F16 or BF16).
  public func doubles(named name: String) throws -> [Double] { try tensor(named: name).doubles() }

  /// Tensor `name` as `Int`s (from the integer and boolean types).
  public func integers(named name: String) throws -> [Int] { try tensor(named: name).integers() }
}

extension JSONValue {
  /// The value's own text when it is a number or string, else its kind.
  fileprivate var textForMessages: String {
    switch self {
    case let .number(text): return text
    case let .string(text): return "\"\(text)\""
    default: return kind
    }
  }
}
