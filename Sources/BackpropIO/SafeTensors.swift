import BackpropCore
import Foundation

/// The element types of the safetensors format, spelled as in the header (`"F32"`, ...).
public enum SafeTensorsDType: String, Sendable, CaseIterable {
  /// `BOOL`: one byte, 0 or 1.
  case bool = "BOOL"
  /// `U8`.
  case uint8 = "U8"
  /// `I8`.
  case int8 = "I8"
  /// `F8_E5M2` (8-bit float; stored and copied, not converted).
  case float8E5M2 = "F8_E5M2"
  /// `F8_E4M3` (8-bit float; stored and copied, not converted).
  case float8E4M3 = "F8_E4M3"
  /// `I16`.
  case int16 = "I16"
  /// `U16`.
  case uint16 = "U16"
  /// `F16`: IEEE 754 half precision.
  case float16 = "F16"
  /// `BF16`: bfloat16, the top half of an IEEE single.
  case bfloat16 = "BF16"
  /// `I32`.
  case int32 = "I32"
  /// `U32`.
  case uint32 = "U32"
  /// `F32`: IEEE 754 single precision.
  case float32 = "F32"
  /// `F64`: IEEE 754 double precision.
  case float64 = "F64"
  /// `I64`.
  case int64 = "I64"
  /// `U64`.
  case uint64 = "U64"

  /// Bytes per element.
  public var byteWidth: Int {
    switch self {
    case .bool, .uint8, .int8, .float8E5M2, .float8E4M3: return 1
    case .int16, .uint16, .float16, .bfloat16: return 2
    case .int32, .uint32, .float32: return 4
    case .float64, .int64, .uint64: return 8
    }
  }
}

/// One tensor of a safetensors file: its element type, shape, and little-endian bytes.
public struct SafeTensor: Sendable, Equatable {
  /// The element type.
  public let dtype: SafeTensorsDType
  /// The shape, outermost first; `[]` is a scalar.
  public let shape: [Int]
  /// The elements, row-major and little-endian, exactly as stored in the file.
  public let bytes: [UInt8]

  /// The number of elements: the product of `shape` (1 for a scalar).
  public var elementCount: Int { shape.reduce(1, *) }

  /// Wraps already-encoded little-endian elements.
  ///
  /// - Throws: `TensorError.invalidArgument` when a size is negative or `bytes.count` is not
  ///   `shape` × `dtype.byteWidth`.
  public init(dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) throws {
    guard let n = checkedByteCount(shape: shape, width: dtype.byteWidth), n == bytes.count else {
      throw TensorError.invalidArgument(
        op: "SafeTensor", message: "shape \(shape) of \(dtype.rawValue) does not match \(bytes.count) bytes")
    }
    self.dtype = dtype
    self.shape = shape
    self.bytes = bytes
  }

  /// Encodes `Float`s as `F32`, or (rounding to nearest even) as `F16` or `BF16`.
  ///
  /// - Throws: `TensorError.invalidArgument` when `values.count` is not the product of `shape`,
  ///   or `dtype` is not one of those three.
  public init(floats values: [Float], shape: [Int], dtype: SafeTensorsDType = .float32) throws {
    let encoded: [UInt8]
    switch dtype {
    case .float32: encoded = littleEndianBytes(values.map(\.bitPattern))
    case .float16: encoded = littleEndianBytes(values.map(halfBits(from:)))
    case .bfloat16: encoded = littleEndianBytes(values.map(bfloat16Bits(from:)))
    default:
      throw TensorError.invalidArgument(op: "SafeTensor", message: "cannot encode Float values as \(dtype.rawValue)")
    }
    try self.init(dtype: dtype, shape: shape, bytes: encoded)
  }

  /// Encodes `Double`s as `F64`.
  ///
  /// - Throws: `TensorError.invalidArgument` when `values.count` is not the product of `shape`.
  public init(doubles values: [Double], shape: [Int]) throws {
    try self.init(dtype: .float64, shape: shape, bytes: littleEndianBytes(values.map(\.bitPattern)))
  }

  /// Encodes integers as `I64`.
  public init(integers values: [Int], shape: [Int]) throws {
    try self.init(dtype: .int64, shape: shape, bytes: littleEndianBytes(values.map { UInt64(bitPattern: Int64($0)) }))
  }

  /// The elements as `Float`: exact from F32/F16/BF16, rounded from F64.
  ///
  /// - Throws: `TensorError.invalidArgument` for integer, boolean and 8-bit float types.
  public func floats() throws -> [Float] {
    switch dtype {
    case .float32: return words(UInt32.self).map { Float(bitPattern: $0) }
    case .float64: return words(UInt64.self).map { Float(Double(bitPattern: $0)) }
    case .float16: return words(UInt16.self).map(float(fromHalfBits:))
    case .bfloat16: return words(UInt16.self).map { Float(bitPattern: UInt32($0) << 16) }
    default: throw conversionError("Float")
    }
  }

  /// The elements as `Double`: exact from every floating-point type but the 8-bit ones.
  ///
  /// - Throws: `TensorError.invalidArgument` for integer, boolean and 8-bit float types.
  public func doubles() throws -> [Double] {
    switch dtype {
    case .float64: return words(UInt64.self).map { Double(bitPattern: $0) }
    case .float32, .float16, .bfloat16: return try floats().map(Double.init)
    default: throw conversionError("Double")
    }
  }

  /// The elements as `Int`, from the integer and boolean types.
  ///
  /// - Throws: `TensorError.invalidArgument` for floating-point types or a `U64` above `Int.max`.
  public func integers() throws -> [Int] {
    switch dtype {
    case .bool, .uint8: return bytes.map { Int($0) }
    case .int8: return bytes.map { Int(Int8(bitPattern: $0)) }
    case .int16: return words(UInt16.self).map { Int(Int16(bitPattern: $0)) }
    case .uint16: return words(UInt16.self).map { Int($0) }
    case .int32: return words(UInt32.self).map { Int(Int32(bitPattern: $0)) }
    case .uint32: return words(UInt32.self).map { Int($0) }
    case .int64: return words(UInt64.self).map { Int(Int64(bitPattern: $0)) }
    case .uint64:
      return try words(UInt64.self).map { w in
        guard let i = Int(exactly: w) else { throw conversionError("Int (value \(w) is too large)") }
        return i
      }
    default: throw conversionError("Int")
    }
  }

  private func conversionError(_ target: String) -> TensorError {
    .invalidArgument(op: "SafeTensor", message: "cannot read \(dtype.rawValue) elements as \(target)")
  }

  /// The bytes read as little-endian words of type `T` (one `memcpy` on little-endian machines).
  private func words<T: FixedWidthInteger>(_: T.Type) -> [T] {
    let n = bytes.count / MemoryLayout<T>.size
    var out = [T](unsafeUninitializedCapacity: n) { buffer, initialized in
      bytes.withUnsafeBytes { raw in
        UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<n * MemoryLayout<T>.size]))
      }
      initialized = n
    }
    #if _endian(big)
      for i in out.indices { out[i] = T(littleEndian: out[i]) }
    #endif
    return out
  }
}

/// The little-endian bytes of a sequence of integers.
func littleEndianBytes<T: FixedWidthInteger>(_ words: [T]) -> [UInt8] {
  var out = [UInt8](repeating: 0, count: words.count * MemoryLayout<T>.size)
  out.withUnsafeMutableBytes { raw in
    for (i, w) in words.enumerated() { raw.storeBytes(of: w.littleEndian, toByteOffset: i * MemoryLayout<T>.size, as: T.self) }
  }
  return out
}

// MARK: - Half-precision conversions (written out so they need no Float16 support)

/// The `Float` value of IEEE 754 half-precision bits (exact: every half is a float).
func float(fromHalfBits h: UInt16) -> Float {
  let sign: Float = h & 0x8000 != 0 ? -1 : 1
  let exponent = Int(h >> 10) & 0x1F
  let mantissa = UInt32(h & 0x3FF)
  switch exponent {
  case 0: return sign * Float(mantissa) * 0x1p-24  // zero or subnormal
  case 31: return Float(bitPattern: UInt32(h & 0x8000) << 16 | 0x7F80_0000 | mantissa << 13)  // inf / NaN
  default: return Float(bitPattern: UInt32(h & 0x8000) << 16 | UInt32(exponent + 112) << 23 | mantissa << 13)
  }
}

/// The nearest half-precision bits to `x` (ties to even; overflow to infinity; NaN stays NaN).
func halfBits(from x: Float) -> UInt16 {
  let bits = x.bitPattern
  let sign = UInt16(bits >> 16) & 0x8000
  if x.isNaN { return sign | 0x7E00 | UInt16((bits >> 13) & 0x3FF) }
  let magnitude = abs(x)
  if magnitude >= 65520 { return sign | 0x7C00 }  // 65520 rounds up past the largest half, 65504
  if magnitude < 0x1p-14 {
    // Subnormal half: a multiple of 2^-24; scaling by 2^24 is exact, so one rounding suffices
    // (a result of 0x400 is the smallest normal half, which is also the right encoding).
    let scaled = magnitude * 0x1p24
    return sign | UInt16(scaled.rounded(.toNearestOrEven))
  }
  let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
  let mantissa = bits & 0x7F_FFFF
  var half = UInt32(exponent) << 10 | mantissa >> 13
  let rest = mantissa & 0x1FFF
  if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) { half += 1 }  // may carry into the exponent: fine
  return sign | UInt16(half)
}

/// The nearest bfloat16 bits to `x` (ties to even; NaN stays NaN).
func bfloat16Bits(from x: Float) -> UInt16 {
  let bits = x.bitPattern
  if x.isNaN { return UInt16(bits >> 16) | 0x0040 }
  return UInt16((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
}
