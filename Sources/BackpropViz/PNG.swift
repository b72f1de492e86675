import Foundation

/// A tiny PNG writer for small images (grey or RGB, 8 bits), so that reports can embed pictures
/// as `data:` URIs without any library. The image data is stored uncompressed (deflate "stored"
/// blocks): a 28×28 digit is under 1 KB either way.
public enum PNG {
  /// Encodes `pixels` (row-major bytes: 1 per pixel for grey, 3 for RGB) as a PNG file.
  /// - Precondition: `pixels.count == width * height * channels`, channels 1 or 3.
  public static func encode(width: Int, height: Int, channels: Int = 1, pixels: [UInt8]) -> Data {
    require(channels == 1 || channels == 3, "PNG.encode supports grey (1) or RGB (3) channels")
    require(pixels.count == width * height * channels, "PNG.encode: \(pixels.count) bytes for \(width)×\(height)×\(channels)")
    var raw = [UInt8]()
    raw.reserveCapacity((width * channels + 1) * height)
    for y in 0..<height {
      raw.append(0)  // filter type: none
      raw.append(contentsOf: pixels[(y * width * channels)..<((y + 1) * width * channels)])
    }
    var header = [UInt8]()
    appendBigEndian(&header, UInt32(width))
    appendBigEndian(&header, UInt32(height))
    header += [8, channels == 1 ? 0 : 2, 0, 0, 0]  // bit depth, colour type, compression, filter, interlace
    var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    appendChunk(&out, "IHDR", header)
    appendChunk(&out, "IDAT", zlibStored(raw))
    appendChunk(&out, "IEND", [])
    return Data(out)
  }

  /// Grey values in [0, 1] (clamped) or, if any lies outside, stretched from min…max, to bytes.
  public static func bytes(fromIntensities values: [Float]) -> [UInt8] {
    let lo = values.min() ?? 0, hi = values.max() ?? 1
    let inUnitRange = lo >= 0 && hi <= 1
    let (offset, scale): (Float, Float) = inUnitRange ? (0, 1) : (lo, hi > lo ? hi - lo : 1)
    return values.map { v in
      let t = v.isFinite ? (v - offset) / scale : 0
      return UInt8((Swift.min(Swift.max(t, 0), 1) * 255).rounded())
    }
  }

  /// A `data:image/png;base64,…` URI of the image.
  public static func dataURI(width: Int, height: Int, channels: Int = 1, pixels: [UInt8]) -> String {
    "data:image/png;base64," + encode(width: width, height: height, channels: channels, pixels: pixels).base64EncodedString()
  }

  private static func appendBigEndian(_ out: inout [UInt8], _ v: UInt32) {
    out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
  }

  private static func appendChunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
    appendBigEndian(&out, UInt32(data.count))
    let typed = Array(type.utf8) + data
    out += typed
    appendBigEndian(&out, crc32(typed))
  }

  /// A zlib stream of stored (uncompressed) deflate blocks of at most 65,535 bytes.
  private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
      let n = Swift.min(65_535, data.count - offset)
      let final: UInt8 = offset + n == data.count ? 1 : 0
      out += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
      out += data[offset..<(offset + n)]
      offset += n
    } while offset < data.count
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in data { a = (a + UInt32(byte)) % 65_521; b = (b + a) % 65_521 }
    appendBigEndian(&out, (b << 16) | a)
    return out
  }

  private static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  /// CRC-32 (ISO-HDLC), as PNG chunks use.
  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
  }
}
