import BackpropKernels

/// How a `Dataset` keeps its features: as `Float` values, or as one byte per feature that a
/// `ByteDecoder` turns into a `Float` when a row is read.
///
/// Image data sets such as Fashion-MNIST hold bytes 0...255; keeping those bytes and decoding
/// rows only as batches are gathered takes a quarter of the memory of a `[Float]` (47 MB
/// instead of 188 MB for Fashion-MNIST's training images). Every read goes through the same
/// decoding, so a byte-stored data set gives exactly the values of the `[Float]` one it stands for.
enum FeatureStorage: Sendable {
  /// Row-major `Float` values.
  case floats([Float])
  /// Row-major bytes, each decoded through the decoder's table for its column.
  case bytes([UInt8], ByteDecoder)

  /// Number of features stored (samples × features per sample).
  var count: Int {
    switch self {
    case let .floats(values): return values.count
    case let .bytes(bytes, _): return bytes.count
    }
  }

  /// Whether the features are kept as bytes.
  var isBytes: Bool {
    if case .bytes = self { return true }
    return false
  }

  /// Every feature as `Float`, row-major; builds a new array for byte storage.
  func materialized(columns: Int) -> [Float] {
    switch self {
    case let .floats(values):
      return values
    case let .bytes(bytes, decoder):
      return [Float](unsafeUninitializedCapacity: bytes.count) { out, initialized in
        if let destination = out.baseAddress {
          bytes.withUnsafeBufferPointer { decoder.decode($0, columns: columns, into: destination) }
        }
        initialized = bytes.count
      }
    }
  }

  /// Writes rows `rows` (each `columns` wide) one after another into `destination`, which must
  /// have room for `rows.count × columns` values.
  ///
  /// Each row index must lie in `0..<rowCount`; an index outside stops the program, as an
  /// out-of-range array subscript does.
  func gather<C: Collection>(rows: C, columns: Int, rowCount: Int, into destination: UnsafeMutableBufferPointer<Float>)
  where C.Element == Int {
    guard let base = destination.baseAddress else { return }  // no room: no rows (capacity is rows × columns)
    require(destination.count >= rows.count * columns, "feature rows: the destination holds \(destination.count) values, \(rows.count * columns) needed")
    switch self {
    case let .floats(values):
      values.withUnsafeBufferPointer { copyRows(rows, columns: columns, rowCount: rowCount, from: $0, into: base) }
    case let .bytes(bytes, decoder):
      if let divisor = decoder.divisor, rowCount * columns == bytes.count {
        // Pixels / divisor: a C loop that prefetches the rows (see `Conversion.gatherRows`), the
        // rows split across the kernel threads when there are enough of them.
        let indices = Array(rows)
        let isa = Gemm.kernelISA  // the caller's compute settings, not those of the pool's threads
        bytes.withUnsafeBufferPointer { source in
          indices.withUnsafeBufferPointer { all in
            Parallel.forEachChunk(count: all.count, minimumChunk: Swift.max(1, 16_384 / columns)) { r in
              Conversion.gatherRows(source, columns: columns, rows: UnsafeBufferPointer(rebasing: all[r]), dividedBy: divisor,
                                    into: base + r.lowerBound * columns, isa: isa)
            }
          }
        }
        return
      }
      var out = base
      bytes.withUnsafeBufferPointer { source in
        for i in rows {
          require((0..<rowCount).contains(i), "batch index \(i) is outside 0..<\(rowCount)")
          decoder.decode(UnsafeBufferPointer(rebasing: source[i * columns..<(i + 1) * columns]), columns: columns, into: out)
          out += columns
        }
      }
    }
  }

  /// The rows at `rows`, in that order, in the same kind of storage (bytes stay bytes).
  func gathering(rows: [Int], columns: Int, rowCount: Int) -> FeatureStorage {
    switch self {
    case .floats:
      return .floats(
        [Float](unsafeUninitializedCapacity: rows.count * columns) { out, initialized in
          gather(rows: rows, columns: columns, rowCount: rowCount, into: out)
          initialized = rows.count * columns
        })
    case let .bytes(bytes, decoder):
      let gathered = [UInt8](unsafeUninitializedCapacity: rows.count * columns) { out, initialized in
        if let target = out.baseAddress {
          bytes.withUnsafeBufferPointer { copyRows(rows, columns: columns, rowCount: rowCount, from: $0, into: target) }
        }
        initialized = rows.count * columns
      }
      return .bytes(gathered, decoder)
    }
  }

  /// Calls `body` with each row in turn, as `Float` values (decoded into a scratch row for bytes).
  func forEachRow(columns: Int, _ body: (UnsafeBufferPointer<Float>) -> Void) {
    guard columns > 0 else { return }
    switch self {
    case let .floats(values):
      values.withUnsafeBufferPointer { source in
        for start in stride(from: 0, to: source.count, by: columns) {
          body(UnsafeBufferPointer(rebasing: source[start..<start + columns]))
        }
      }
    case let .bytes(bytes, decoder):
      var row = [Float](repeating: 0, count: columns)
      bytes.withUnsafeBufferPointer { source in
        row.withUnsafeMutableBufferPointer { scratch in
          for start in stride(from: 0, to: source.count, by: columns) {
            decoder.decode(
              UnsafeBufferPointer(rebasing: source[start..<start + columns]), columns: columns, into: scratch.baseAddress!)
            body(UnsafeBufferPointer(scratch))
          }
        }
      }
    }
  }
}

extension FeatureStorage: Equatable {
  /// Equal when they hold the same values in the same order, however each is stored: a byte
  /// storage equals the `Float` storage of its decoded values.
  static func == (lhs: FeatureStorage, rhs: FeatureStorage) -> Bool {
    switch (lhs, rhs) {
    case let (.floats(a), .floats(b)):
      return a == b
    case let (.bytes(a, decoderA), .bytes(b, decoderB)) where decoderA == decoderB && !decoderA.hasNaN:
      return a == b
    default:
      guard lhs.count == rhs.count else { return false }
      // A per-column decoder fixes the row width; a shared table decodes the same at any width.
      let columns = [lhs, rhs].lazy.compactMap(\.perColumnWidth).first ?? 1
      guard lhs.count % columns == 0, rhs.perColumnWidth.map({ $0 == columns }) ?? true else { return false }
      return lhs.materialized(columns: columns) == rhs.materialized(columns: columns)
    }
  }

  /// The row width a per-column decoder was built for; nil for `Float` storage or a shared table.
  private var perColumnWidth: Int? {
    if case let .bytes(_, decoder) = self, decoder.isPerColumn { return decoder.columns }
    return nil
  }
}

/// Copies rows `rows` (each `columns` elements of `source`) one after another to `destination`.
/// An index outside `0..<rowCount` stops the program, as an out-of-range subscript does.
private func copyRows<C: Collection, Element>(
  _ rows: C, columns: Int, rowCount: Int, from source: UnsafeBufferPointer<Element>, into destination: UnsafeMutablePointer<Element>
) where C.Element == Int {
  var target = destination
  for i in rows {
    require((0..<rowCount).contains(i), "row index \(i) is outside 0..<\(rowCount)")
    target.update(from: source.baseAddress! + i * columns, count: columns)
    target += columns
  }
}
