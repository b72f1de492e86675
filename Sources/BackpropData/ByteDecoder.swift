import BackpropKernels

/// Turns stored feature bytes into `Float` values through a lookup table: one shared table of
/// 256 values, or one table of 256 values per column (plain `byte / divisor` is computed
/// instead of looked up, with the same results; see `divisor`).
///
/// A table reproduces any map of a byte exactly (no rounding differs from computing the value
/// directly), and an affine map of the decoded values, such as a `FeatureScaler`, is again a
/// table: so a byte data set can be scaled without ever holding its features as `Float`.
struct ByteDecoder: Sendable, Equatable {
  /// The decoded value of byte `b` in column `j` is `table[j * 256 + b]` for a per-column
  /// decoder, `table[b]` for a shared one.
  let table: [Float]
  /// Set when the table is `Float(b) / divisor` for every byte `b` (a shared table): decoding
  /// then divides at vector width (`Conversion.bytesToFloats`) instead of looking up: the same
  /// IEEE division, so the same values, and faster than a lookup per byte.
  let divisor: Float?

  /// Whether each column has its own table (otherwise all columns share one).
  var isPerColumn: Bool { table.count > 256 }
  /// The number of columns the tables are for (1 for a shared table).
  var columns: Int { table.count / 256 }
  /// Whether some byte decodes to NaN (then equal bytes do not mean equal values).
  var hasNaN: Bool { table.contains { $0.isNaN } }

  /// A shared table of `value(b)` for every byte `b`.
  init(_ value: (UInt8) -> Float) {
    table = (0...255).map { value(UInt8($0)) }
    divisor = nil
  }

  /// The shared table of `Float(b) / divisor` (unsigned bytes scaled, e.g. pixels / 255).
  init(dividingBy divisor: Float) {
    table = (0...255).map { Float($0) / divisor }
    self.divisor = divisor
  }

  private init(table: [Float]) {
    require(table.count % 256 == 0 && !table.isEmpty, "byte decoder: the table needs 256 entries per column, got \(table.count)")
    self.table = table
    divisor = nil
  }

  /// The value of byte `byte` in column `column`.
  func value(_ byte: UInt8, column: Int) -> Float {
    table[(isPerColumn ? column << 8 : 0) + Int(byte)]
  }

  /// Decodes `source`, whole rows of `columns` bytes, into `destination`.
  func decode(_ source: UnsafeBufferPointer<UInt8>, columns: Int, into destination: UnsafeMutablePointer<Float>) {
    if let divisor {
      // The same bits as `Float(source[k]) / divisor`, 16 values per instruction with AVX-512.
      Conversion.bytesToFloats(source, dividedBy: divisor, into: destination)
      return
    }
    table.withUnsafeBufferPointer { values in
      let t = values.baseAddress!
      if !isPerColumn {
        for k in 0..<source.count { destination[k] = t[Int(source[k])] }
        return
      }
      require(columns == self.columns && source.count % columns == 0, "rows of \(columns) for tables of \(self.columns) columns")
      var start = 0
      while start < source.count {
        for j in 0..<columns { destination[start + j] = t[j &<< 8 &+ Int(source[start + j])] }
        start += columns
      }
    }
  }

  /// The decoder of `(value − offset[j]) / scale[j]` in column `j`: what `FeatureScaler`
  /// computes, byte value by byte value, so the results are identical to scaling the `Float`s.
  ///
  /// Stays one shared table when this one is shared and every column has the same offset and
  /// scale (e.g. `FeatureScaler.dividing(by:columns:)`); otherwise one table per column.
  func mapped(offset: [Float], scale: [Float]) -> ByteDecoder {
    require(offset.count == scale.count && !offset.isEmpty, "byte decoder: \(offset.count) offsets for \(scale.count) scales")
    require(!isPerColumn || columns == offset.count, "a scaler of \(offset.count) columns for tables of \(columns)")
    if !isPerColumn, offset.allSatisfy({ $0.bitPattern == offset[0].bitPattern }),
      scale.allSatisfy({ $0.bitPattern == scale[0].bitPattern }) {
      return ByteDecoder(table: table.map { ($0 - offset[0]) / scale[0] })
    }
    var mapped = [Float](repeating: 0, count: offset.count << 8)
    for j in offset.indices {
      for b in 0...255 { mapped[j << 8 + b] = (value(UInt8(b), column: j) - offset[j]) / scale[j] }
    }
    return ByteDecoder(table: mapped)
  }
}
