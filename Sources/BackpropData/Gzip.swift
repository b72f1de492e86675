import BackpropIO
import CZlib
import Foundation

/// gzip compression and decompression through the system zlib, with a hard cap on output size.
public enum Gzip {
  /// Whether `bytes` starts with the gzip magic number `1f 8b`.
  public static func isCompressed(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
  }

  /// Decompresses a whole gzip stream (several concatenated members are allowed).
  ///
  /// - Parameters:
  ///   - path: names the source in error messages.
  ///   - maxOutputBytes: decompression stops with `DataError.tooLarge` past this many bytes, so a
  ///     "zip bomb" costs at most this much memory.
  /// - Throws: `DataError.corruptCompression`, `.truncated` or `.tooLarge`, naming `path`.
  public static func decompress(
    _ bytes: [UInt8], path: String = "<memory>", maxOutputBytes: Int = DataLimits.maxBytes
  ) throws -> [UInt8] {
    let reader = try GzipReader(bytes, path: path)
    let out = try reader.read(upTo: maxOutputBytes &+ 1)
    if out.count > maxOutputBytes {
      throw DataError.tooLarge(
        path: path, reason: "decompresses to more than the limit of \(maxOutputBytes) bytes")
    }
    return out
  }

  /// Compresses `bytes` into one gzip member (no file name, modification time 0, so the output
  /// depends only on the input, the level and the zlib version).
  ///
  /// - Parameter level: 0 (store) to 9 (smallest); -1 is zlib's default (6).
  public static func compress(_ bytes: [UInt8], level: Int32 = -1) throws -> [UInt8] {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer { stream.deinitialize(count: 1); stream.deallocate() }
    // windowBits 15 + 16 asks zlib for a gzip wrapper instead of a zlib one.
    guard
      deflateInit2_(
        stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
        Int32(MemoryLayout<z_stream>.size)) == Z_OK
    else {
      throw DataError.ioFailed(path: "<memory>", operation: "compress", reason: "deflateInit2 failed")
    }
    defer { deflateEnd(stream) }
    let bound = Int(deflateBound(stream, UInt(bytes.count)))
    var out = [UInt8](repeating: 0, count: bound)
    var input = bytes
    let status: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
      out.withUnsafeMutableBufferPointer { outBuf in
        stream.pointee.next_in = inBuf.baseAddress
        stream.pointee.avail_in = UInt32(inBuf.count)
        stream.pointee.next_out = outBuf.baseAddress
        stream.pointee.avail_out = UInt32(outBuf.count)
        return deflate(stream, Z_FINISH)
      }
    }
    guard status == Z_STREAM_END else {
      throw DataError.ioFailed(path: "<memory>", operation: "compress", reason: "deflate returned \(status)")
    }
    out.removeLast(Int(stream.pointee.avail_out))
    return out
  }
}

/// Incremental gzip decompression from an in-memory buffer: `read(upTo:)` inflates only as much
/// as asked for, so a reader can look at a header before deciding how much more to accept.
final class GzipReader {
  private let input: [UInt8]
  private let path: String
  private let stream: UnsafeMutablePointer<z_stream>
  private var consumed = 0
  private var finished = false
  private var scratch = [UInt8](repeating: 0, count: 1 << 16)

  /// Starts inflating `bytes`, which must begin with a gzip header.
  init(_ bytes: [UInt8], path: String) throws {
    input = bytes
    self.path = path
    // The z_stream must not move: zlib keeps a pointer back to it in its internal state.
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    guard inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      stream.deinitialize(count: 1)
      stream.deallocate()
      throw DataError.ioFailed(path: path, operation: "decompress", reason: "inflateInit2 failed")
    }
  }

  deinit {
    inflateEnd(stream)
    stream.deinitialize(count: 1)
    stream.deallocate()
  }

  /// The uncompressed size recorded in the last gzip trailer (modulo 2^32), as a capacity hint.
  private var trailerSizeHint: Int {
    guard input.count >= 18 else { return 0 }
    let n = input.count
    return Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
  }

  /// Returns the next `count` decompressed bytes, or fewer when the stream ends first.
  func read(upTo count: Int) throws -> [UInt8] {
    var out = [UInt8]()
    // Never reserve more than the input could expand to (deflate's ratio is at most ~1032:1).
    out.reserveCapacity(min(count, trailerSizeHint, input.count.multipliedReportingOverflow(by: 1032).partialValue))
    while out.count < count && !finished {
      let want = min(scratch.count, count - out.count)
      let produced = try inflateStep(into: want)
      out.append(contentsOf: scratch[0..<produced])
    }
    return out
  }

  /// Runs `inflate` once into `scratch`, handling the end of a member; returns the bytes produced.
  private func inflateStep(into want: Int) throws -> Int {
    if input.isEmpty { throw DataError.truncated(path: path, reason: "the file is empty") }
    let (status, produced): (Int32, Int) = input.withUnsafeBufferPointer { inBuf in
      scratch.withUnsafeMutableBufferPointer { outBuf in
        stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress! + consumed)
        stream.pointee.avail_in = UInt32(clamping: inBuf.count - consumed)
        stream.pointee.next_out = outBuf.baseAddress
        stream.pointee.avail_out = UInt32(want)
        let before = stream.pointee.avail_in
        let status = inflate(stream, Z_NO_FLUSH)
        consumed += Int(before - stream.pointee.avail_in)
        return (status, want - Int(stream.pointee.avail_out))
      }
    }
    switch status {
    case Z_OK:
      return produced
    case Z_STREAM_END:
      try endOfMember()
      return produced
    case Z_BUF_ERROR where consumed == input.count:
      // zlib needs more input than there is: the file was cut short.
      throw DataError.truncated(path: path, reason: "the gzip stream ends early (after \(input.count) bytes)")
    default:
      let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
      throw DataError.corruptCompression(path: path, reason: message)
    }
  }

  /// After a member ends: continue with a following member, accept zero padding, reject junk.
  private func endOfMember() throws {
    let rest = input[consumed...]
    if rest.isEmpty || rest.allSatisfy({ $0 == 0 }) {
      finished = true
    } else if rest.count >= 2 && rest[rest.startIndex] == 0x1F && rest[rest.startIndex + 1] == 0x8B {
      inflateReset(stream)
    } else {
      throw DataError.corruptCompression(path: path, reason: "\(rest.count) bytes of trailing garbage after the gzip stream")
    }
  }
}

/// Reads a file and, when it starts with the gzip magic `1f 8b`, decompresses it.
func readPossiblyCompressedFile(_ url: URL, maxBytes: Int = DataLimits.maxBytes, hint: String? = nil)
  throws -> [UInt8]
{
  let raw = try readFileBytes(url, maxBytes: maxBytes, hint: hint)
  guard Gzip.isCompressed(raw) else { return raw }
  return try Gzip.decompress(raw, path: url.path, maxOutputBytes: maxBytes)
}
