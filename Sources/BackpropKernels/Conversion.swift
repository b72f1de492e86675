import CBackpropKernels

/// Vectorised conversions that Swift code cannot get at the CPU's full width without
/// `unsafeFlags` (the C target is compiled per function for AVX2 / AVX-512 and chosen at run time).
public enum Conversion {
  /// `destination[i] = Float(source[i]) / divisor` for every byte: 16 values per instruction with
  /// AVX-512, 8 with AVX2. The results are bit-identical to Swift's `Float(byte) / divisor` on
  /// every path (division is correctly rounded at any width); `isa` picks a narrower path (tests).
  ///
  /// - Precondition: `destination` has room for `source.count` values.
  public static func bytesToFloats(
    _ source: UnsafeBufferPointer<UInt8>, dividedBy divisor: Float, into destination: UnsafeMutablePointer<Float>,
    isa: KernelISA = Gemm.kernelISA
  ) {
    guard let base = source.baseAddress, !source.isEmpty else { return }
    bp_u8_to_f32_divided(base, source.count, divisor, destination, isa.cValue)
  }

  /// Rows `rows` of a row-major byte matrix with `columns` columns, each converted as by
  /// `bytesToFloats(_:dividedBy:into:isa:)`, written one after another into `destination` (room
  /// for `rows.count × columns` values). The rows ahead are prefetched: gathering random rows of
  /// a large data set is otherwise bound by cache misses, not arithmetic.
  ///
  /// - Precondition: every row index is in `0..<source.count / columns`.
  public static func gatherRows(
    _ source: UnsafeBufferPointer<UInt8>, columns: Int, rows: UnsafeBufferPointer<Int>, dividedBy divisor: Float,
    into destination: UnsafeMutablePointer<Float>, isa: KernelISA = Gemm.kernelISA
  ) {
    guard columns > 0, let base = source.baseAddress, let rowBase = rows.baseAddress, !rows.isEmpty else { return }
    let rowCount = source.count / columns
    for r in rows { precondition((0..<rowCount).contains(r), "row \(r) is outside 0..<\(rowCount)") }
    bp_u8_rows_to_f32_divided(base, columns, rowBase, rows.count, divisor, destination, isa.cValue)
  }
}

