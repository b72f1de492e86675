import BackpropCore
import RealModule
import Testing
import _BackpropTestSupport

// Forward values against references that share no code with the op (swift-apis
// `testElementaryFunction`): elementwise rows against the Double scalar function, in Double and
// in Float; structural rows against the plain loops in `Naive`.

@Suite struct ForwardReferenceTests {
  @Test(arguments: OpTable.rows)
  func doubleMatchesReference(_ row: OpRow) throws {
    let inputs = row.inputs()
    let y = try row.apply(inputs)
    switch row.reference {
    case let .scalar(double, _):
      expectClose(y, Naive.elementwise(inputs, double), .doubleReference, row.name)
    case let .naive(reference):
      expectClose(y, reference(inputs), .sameMathsDifferentOrder, row.name)
    }
  }

  @Test(arguments: OpTable.rows.filter { if case .scalar = $0.reference { true } else { false } })
  func floatMatchesDoubleReference(_ row: OpRow) throws {
    guard case let .scalar(double, floatOp) = row.reference else {
      Issue.record("\(row.name) reached the Float check without a scalar reference")
      return
    }
    let inputs = row.inputs(Float.self)
    let y = try floatOp(inputs)
    // The reference sees exactly the Float inputs, widened: only the op's own rounding differs.
    let expected = Naive.elementwise(inputs.map { $0.converted(to: Double.self) }, double)
    #expect(y.shape == expected.shape, "\(row.name)")
    expectClose(y.scalars.map(Double.init), expected.scalars, .floatReference, row.name)
  }

  @Test func floatCheckIsNotVacuous() {
    // Guards the filter above: the Float comparison must see the table's elementwise rows.
    let elementwise = OpTable.rows.filter { if case .scalar = $0.reference { true } else { false } }
    #expect(elementwise.count >= 30)
  }

  // MARK: Extreme values: the stable formulations must not overflow.

  @Test func sigmoidSaturatesWithoutNaN() {
    let x = Tensor<Double>([-1000, -40, 0, 40, 1000])
    #expect(x.sigmoid().scalars == [0, 1 / (1 + Double.exp(40)), 0.5, 1 / (1 + Double.exp(-40)), 1])
    let f = Tensor<Float>([-200, 200]).sigmoid().scalars
    #expect(f == [0, 1])
  }

  @Test func softmaxAndLogSumExpOfHugeLogits() throws {
    let x = Tensor<Double>([1000, 1000, 999])
    let lse = x.logSumExp().item
    expectClose(lse, 1000 + Double.log(2 + Double.exp(-1)), .doubleReference)
    let s = x.softmax().scalars
    let z = 2 + Double.exp(-1)
    expectClose(s, [1 / z, 1 / z, Double.exp(-1) / z], .doubleReference)
    let ls = Tensor<Float>([-1e4, 0, 1e4]).logSoftmax().scalars
    #expect(ls.allSatisfy { $0.isFinite }, "\(ls)")
    #expect(ls[2] == 0)
  }

  @Test func logAndDivisionFollowIEEE() {
    #expect(Tensor<Double>([0]).log().item == -.infinity)
    #expect(Tensor<Double>([-1]).log().item.isNaN)
    #expect((1 / Tensor<Double>([0])).item == .infinity)
    #expect(Tensor<Double>([800]).exp().item == .infinity)
  }

  @Test func powWithNegativeBaseAndIntegerExponent() throws {
    // RealModule's pow(x, y) is NaN for x < 0; an integer exponent must still work: (−2)³ = −8.
    #expect(Tensor<Double>([-2]).pow(3).item == -8)
    #expect(Tensor.pow(Tensor<Double>([-2, -3]), Tensor<Double>([2, 3])).scalars == [4, -27])
    #expect(Tensor<Double>([-2]).pow(0.5).item.isNaN)
  }

  @Test func comparisonsAreConstantMasks() throws {
    let a = Tensor<Double>([1, 2, 3], requiresGrad: true), b = Tensor<Double>([2, 2, 2])
    #expect(a.greater(b).scalars == [0, 0, 1])
    #expect(a.greaterEqual(b).scalars == [0, 1, 1])
    #expect(a.less(b).scalars == [1, 0, 0])
    #expect(a.lessEqual(b).scalars == [1, 1, 0])
    #expect(a.equal(b).scalars == [0, 1, 0])
    #expect(a.notEqual(b).scalars == [1, 0, 1])
    #expect(!a.greater(b).requiresGrad)
    #expect(Tensor<Double>([-3, 0, 2]).sign().scalars == [-1, 0, 1])
  }

  @Test func argmaxPicksTheFirstMaximumPerRow() throws {
    let x = Tensor<Double>(rows: [[1, 5, 5], [7, 0, 2]])
    #expect(x.argmax(alongAxis: 1) == [1, 0])
    #expect(x.argmax(alongAxis: 0) == [1, 0, 0])
  }
}
