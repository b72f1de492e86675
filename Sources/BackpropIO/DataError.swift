/// Errors from reading or writing data files: every message names the file and the problem.
///
/// Programming mistakes that involve no file (a batch size of zero, an index out of range) are
/// thrown as `TensorError.invalidArgument` instead, like the rest of Backprop.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file does not exist; `hint` says how to get it, when that is known.
  case fileNotFound(path: String, hint: String?)
  /// The operating system refused an operation on the file (`operation` is "open", "read",
  /// "write", "rename", ...), with the system's reason.
  case ioFailed(path: String, operation: String, reason: String)
  /// The file ends before the data its header promises.
  case truncated(path: String, reason: String)
  /// The file's contents do not follow the format (wrong magic, bad header, sizes that disagree).
  case malformed(path: String, reason: String)
  /// The file declares, or would decompress to, more data than this reader accepts.
  case tooLarge(path: String, reason: String)
  /// The gzip stream is damaged (bad header, bad checksum, trailing garbage).
  case corruptCompression(path: String, reason: String)
  /// A text file has a bad line (ragged row, a field that is not a number); `line` is 1-based.
  case badLine(path: String, line: Int, reason: String)
  /// A named data set is not installed where it was looked for; `hint` says how to get it.
  case datasetMissing(name: String, reason: String, hint: String)

  /// The file (or, for `datasetMissing`, the data set) the error is about.
  public var path: String {
    switch self {
    case let .fileNotFound(path, _), let .ioFailed(path, _, _), let .truncated(path, _),
      let .malformed(path, _), let .tooLarge(path, _), let .corruptCompression(path, _),
      let .badLine(path, _, _):
      return path
    case let .datasetMissing(name, _, _):
      return name
    }
  }

  /// A one-line message: `path: problem`, or `path:line: problem` for a bad line.
  public var description: String {
    switch self {
    case let .fileNotFound(path, hint):
      return "\(path): no such file" + (hint.map { "; \($0)" } ?? "")
    case let .ioFailed(path, operation, reason):
      return "\(path): cannot \(operation): \(reason)"
    case let .truncated(path, reason):
      return "\(path): truncated: \(reason)"
    case let .malformed(path, reason):
      return "\(path): \(reason)"
    case let .tooLarge(path, reason):
      return "\(path): too large: \(reason)"
    case let .corruptCompression(path, reason):
      return "\(path): corrupt gzip data: \(reason)"
    case let .badLine(path, line, reason):
      return "\(path):\(line): \(reason)"
    case let .datasetMissing(name, reason, hint):
      return "\(name) not found: \(reason); \(hint)"
    }
  }
}
