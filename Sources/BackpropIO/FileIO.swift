import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Limits shared by the readers, so that a damaged or hostile file can never make them allocate
/// more than it could plausibly hold.
public enum DataLimits {
  /// The most bytes a reader takes from one file, after gzip decompression (1 GiB).
  ///
  /// Fashion-MNIST's training images are 47 MB; the largest IDX sets in use (EMNIST) stay under
  /// 1 GiB. Pass a larger `maxBytes` to the readers for anything bigger.
  public static let maxBytes = 1 << 30
}

/// The system's message for the current `errno`.
package func systemErrorMessage(_ code: Int32 = errno) -> String {
  String(cString: strerror(code))
}

/// Reads a whole regular file into memory, mapping every failure to a `DataError` that names it.
///
/// Reads at most `maxBytes` (plus one byte, to notice a file that is larger); never trusts
/// `st_size` for more than a capacity hint.
package func readFileBytes(_ url: URL, maxBytes: Int = DataLimits.maxBytes, hint: String? = nil) throws
  -> [UInt8]
{
  let path = url.path
  let fd = open(path, O_RDONLY | O_CLOEXEC)
  if fd < 0 {
    let code = errno
    if code == ENOENT || code == ENOTDIR { throw DataError.fileNotFound(path: path, hint: hint) }
    throw DataError.ioFailed(path: path, operation: "open", reason: systemErrorMessage(code))
  }
  defer { close(fd) }
  var info = stat()
  guard fstat(fd, &info) == 0 else {
    throw DataError.ioFailed(path: path, operation: "stat", reason: systemErrorMessage())
  }
  if (info.st_mode & S_IFMT) == S_IFDIR {
    throw DataError.ioFailed(path: path, operation: "read", reason: "it is a directory")
  }
  let sizeHint = Int(info.st_size)
  if sizeHint > maxBytes {
    throw DataError.tooLarge(
      path: path, reason: "the file is \(sizeHint) bytes; the limit is \(maxBytes) bytes")
  }
  // Read straight into an array of the size fstat reports; keep reading in chunks in case the
  // file is longer (it grew, or it is a pipe that reports size 0).
  var failure: Int32 = 0
  var bytes = [UInt8](unsafeUninitializedCapacity: max(0, sizeHint)) { buffer, initialized in
    while initialized < buffer.count {
      let n = read(fd, buffer.baseAddress! + initialized, buffer.count - initialized)
      if n < 0 && errno == EINTR { continue }
      if n < 0 { failure = errno }
      if n <= 0 { break }
      initialized += n
    }
  }
  if failure != 0 {
    throw DataError.ioFailed(path: path, operation: "read", reason: systemErrorMessage(failure))
  }
  var chunk = [UInt8](repeating: 0, count: 1 << 16)
  // A short read means end of file; a full buffer (or an empty one) means there may be more.
  while bytes.count >= sizeHint {
    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if n < 0 {
      if errno == EINTR { continue }
      throw DataError.ioFailed(path: path, operation: "read", reason: systemErrorMessage())
    }
    if n == 0 { break }
    bytes.append(contentsOf: chunk[0..<n])
    if bytes.count > maxBytes {
      throw DataError.tooLarge(path: path, reason: "more than the limit of \(maxBytes) bytes")
    }
  }
  return bytes
}

/// `product(shape) * width`, or nil on overflow or a negative size.
package func checkedByteCount(shape: [Int], width: Int) -> Int? {
  var total = width
  for size in shape {
    guard size >= 0 else { return nil }
    let (product, overflow) = total.multipliedReportingOverflow(by: size)
    if overflow { return nil }
    total = product
  }
  return total
}
