import BackpropKernels
import Testing

@Suite("Arithmetic: vector-width Float + − × ÷")
struct ArithmeticTests {
  /// Every operation, operand layout and instruction set, on lengths around the vector widths and
  /// values that include ±0, ±∞, NaN and subnormals: the same bits as Swift's scalar operators.
  @Test(arguments: Arithmetic.Operation.allCases)
  func bitIdenticalToScalarSwift(operation: Arithmetic.Operation) {
    var rng = SplitMix64(seed: 9)
    let specials: [Float] = [0, -0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, -.leastNormalMagnitude, 1e38, -3]
    for n in [1, 7, 8, 9, 15, 16, 17, 33, 100] {
      let a = (0..<n).map { i in i < specials.count && n > 30 ? specials[i] : Float(rng.nextUnit() * 8 - 4) }
      let b = (0..<n).map { i in i < specials.count && n > 30 ? specials[(i + 4) % specials.count] : Float(rng.nextUnit() * 8 - 4) }
      for operands in Arithmetic.Operands.allCases {
        let expected: [Float] = (0..<n).map { i in
          let x = operands == .numberFirst ? a[0] : a[i], y = operands == .numberSecond ? b[0] : b[i]
          switch operation {
          case .add: return x + y
          case .subtract: return x - y
          case .multiply: return x * y
          case .divide: return x / y
          }
        }
        for isa in KernelISA.allCases where isa.isSupported {
          var out = [Float](repeating: 42, count: n + 1)
          a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
              out.withUnsafeMutableBufferPointer {
                Arithmetic.apply(operation, pa.baseAddress!, pb.baseAddress!, $0.baseAddress!, count: n, operands: operands, isa: isa)
              }
            }
          }
          // NaN payloads may differ between paths; compare NaN-ness, and bits otherwise.
          let same = zip(out.prefix(n), expected).allSatisfy { $0.isNaN ? $1.isNaN : $0.bitPattern == $1.bitPattern }
          #expect(same, "\(operation) \(operands) \(isa) n = \(n)")
          #expect(out[n] == 42, "\(operation) \(operands) \(isa) wrote past the end")
        }
      }
    }
  }

  /// Sums of 1–5 sources in order (the shared-memory gradient sum of 1–5 ranks), lengths around
  /// the vector widths and the 1,024-element blocks: the bits of Swift's left-to-right scalar sum
  /// on every instruction set, nothing written past the end.
  @Test func sumInOrderIsTheScalarLeftToRightSum() {
    var rng = SplitMix64(seed: 4)
    for sources in 1...5 {
      for n in [1, 15, 16, 17, 1023, 1024, 1025, 2100] {
        // Mixed magnitudes, so that the order of the additions shows in the last bits.
        let data = (0..<sources).map { _ in (0..<n).map { _ in Float(rng.nextUnit() * 2 - 1) * Float(1 << Int(rng.nextUnit() * 20)) } }
        let expected = (0..<n).map { i in data.dropFirst().reduce(data[0][i]) { $0 + $1[i] } }
        for isa in KernelISA.allCases where isa.isSupported {
          var out = [Float](repeating: 42, count: n + 1)
          let buffers = data.map { d -> UnsafeMutableBufferPointer<Float> in
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
            _ = b.initialize(fromContentsOf: d)
            return b
          }
          defer { for b in buffers { b.deallocate() } }
          let pointers = buffers.map { UnsafePointer($0.baseAddress!) }
          out.withUnsafeMutableBufferPointer { Arithmetic.sumInOrder(into: $0.baseAddress!, pointers, count: n, isa: isa) }
          #expect(out.prefix(n).map(\.bitPattern) == expected.map(\.bitPattern), "\(sources) sources, n = \(n), \(isa)")
          #expect(out[n] == 42, "\(sources) sources, n = \(n), \(isa): wrote past the end")
        }
      }
    }
  }
}
