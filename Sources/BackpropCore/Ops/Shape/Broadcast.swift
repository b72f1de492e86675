/// The tensor repeated along new leading or size-1 dimensions to `target` (NumPy rules).
///
/// VJP: `∂L/∂x = sumToShape(g, x.shape)`. JVP: `ẏ = broadcast(ẋ)`.
struct Broadcast: Op {
  var name: String { "broadcast" }
  let target: [Int]
  var parameters: [(name: String, value: String)] { [("shape", "\(target)")] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0]
    guard let plan = BroadcastPlan(expanding: x.shape, to: target) else {
      opFailure("broadcast", "cannot broadcast shape \(x.shape) to \(target)")
    }
    let n = target.reduce(1, *)
    let zero: [S] = [0]
    let values = [S](unsafeUninitializedCapacity: n) { buffer, initialized in
      x.scalars.withUnsafeBufferPointer { a in
        zero.withUnsafeBufferPointer { b in S.binaryKernel(.add, a, b, buffer, plan) }
      }
      initialized = n
    }
    return (target, values)
  }
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] { [c.unbroadcast(g, toInput: 0)] }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { t[0]!.broadcast(to: target) }
  func forwardFormula(_ n: [String]) -> String { "broadcast \(n[0]) to \(formatShape(target))" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("sum δ back to \(formatShape(c.inputShapes[k]))", .sum, .expansion,
                    summedAxes: c.broadcastAxes(k))
  }
}

extension Tensor {
  /// The tensor repeated along new leading or size-1 dimensions to `target` (NumPy rules).
  /// VJP: `sumToShape(g, x.shape)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func broadcast(to target: [Int]) -> Tensor {
    target == shape ? self : .apply(Broadcast(target: target), to: [self])
  }
}
