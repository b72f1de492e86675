import BackpropKernels
import Testing

@Suite("Conversion: bytes to floats")
struct ConversionTests {
  /// Every byte value, in lengths around the vector widths (tails of 0…15 values), at every
  /// instruction set this CPU runs: bit-identical to Swift's `Float(byte) / divisor`.
  @Test(arguments: [255, 16, 3, 0.1, 1] as [Float])
  func bitIdenticalToSwift(divisor: Float) {
    let isas = KernelISA.allCases.filter(\.isSupported)
    #expect(isas.contains(.portable))
    for length in [0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 256, 784, 1000] {
      let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
      let expected = bytes.map { Float($0) / divisor }
      for isa in isas {
        var out = [Float](repeating: .nan, count: length + 1)  // one guard value past the end
        bytes.withUnsafeBufferPointer { src in
          out.withUnsafeMutableBufferPointer { Conversion.bytesToFloats(src, dividedBy: divisor, into: $0.baseAddress!, isa: isa) }
        }
        #expect(out.prefix(length).map(\.bitPattern) == expected.map(\.bitPattern), "\(isa) length \(length) ÷ \(divisor)")
        #expect(out[length].isNaN, "\(isa) wrote past the end at length \(length)")
      }
    }
  }

  @Test("gathering rows converts exactly those rows, in order, at every instruction set")
  func gatherRows() {
    let columns = 37, rowCount = 50
    let bytes = (0..<(columns * rowCount)).map { UInt8(truncatingIfNeeded: $0 &* 91 &+ 5) }
    let rows = [49, 0, 7, 7, 23, 1, 48, 12]
    let expected = rows.flatMap { r in bytes[r * columns..<(r + 1) * columns].map { Float($0) / 255 } }
    for isa in KernelISA.allCases where isa.isSupported {
      var out = [Float](repeating: .nan, count: expected.count + 1)
      bytes.withUnsafeBufferPointer { src in
        rows.withUnsafeBufferPointer { r in
          out.withUnsafeMutableBufferPointer { Conversion.gatherRows(src, columns: columns, rows: r, dividedBy: 255, into: $0.baseAddress!, isa: isa) }
        }
      }
      #expect(out.prefix(expected.count).map(\.bitPattern) == expected.map(\.bitPattern), "\(isa)")
      #expect(out.last!.isNaN)
    }
  }
}

