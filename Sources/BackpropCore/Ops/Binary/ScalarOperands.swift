// Arithmetic with a plain number c. The number is not made into a tensor node: each op records
// one input and keeps c in its rule, which halves the nodes of scalar graphs (micrograd-style
// code like `x * 1.0001 + 0.0001`). They cannot fail, so they need no `try`.

extension Tensor {
  /// Runs a binary kernel with a number on one side (no broadcasting plan to build).
  @inline(__always)
  func scalarKernel(_ kind: BinaryKernel, _ c: Scalar, numberFirst: Bool) -> [Scalar] {
    let n = count
    let plan = BroadcastPlan(scalarOperandWith: shape, numberFirst: numberFirst)
    let number = [c]
    return [Scalar](unsafeUninitializedCapacity: n) { buffer, initialized in
      scalars.withUnsafeBufferPointer { x in
        number.withUnsafeBufferPointer { s in
          if numberFirst { Scalar._binary(kind, s, x, buffer, plan) } else { Scalar._binary(kind, x, s, buffer, plan) }
        }
      }
      initialized = n
    }
  }

  /// x + c. VJP: `g`. JVP: `ẋ`.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public static func + (x: Tensor, c: Scalar) -> Tensor {
    record("addScalar", shape: x.shape, scalars: x.scalarKernel(.add, c, numberFirst: false), inputs: [x], formula: "g",
           pullback: { g, _ in [g] }, pushforward: { t, _ in t[0]! })
  }

  /// c + x, the same op as x + c.
  public static func + (c: Scalar, x: Tensor) -> Tensor { x + c }

  /// x − c, recorded as x + (−c).
  public static func - (x: Tensor, c: Scalar) -> Tensor { x + (-c) }

  /// c − x. VJP: `−g`. JVP: `−ẋ`.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public static func - (c: Scalar, x: Tensor) -> Tensor {
    record("scalarSubtract", shape: x.shape, scalars: x.scalarKernel(.subtract, c, numberFirst: true), inputs: [x], formula: "−g",
           pullback: { g, _ in [-g] }, pushforward: { t, _ in -t[0]! })
  }

  /// x · c. VJP: `g · c`. JVP: `ẋ · c`.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public static func * (x: Tensor, c: Scalar) -> Tensor {
    record("multiplyScalar", shape: x.shape, scalars: x.scalarKernel(.multiply, c, numberFirst: false), inputs: [x], formula: "g · c",
           pullback: { g, _ in [g * c] }, pushforward: { t, _ in t[0]! * c })
  }

  /// c · x, the same op as x · c.
  public static func * (c: Scalar, x: Tensor) -> Tensor { x * c }

  /// x / c. VJP: `g / c`. JVP: `ẋ / c`.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public static func / (x: Tensor, c: Scalar) -> Tensor {
    record("divideScalar", shape: x.shape, scalars: x.scalarKernel(.divide, c, numberFirst: false), inputs: [x], formula: "g / c",
           pullback: { g, _ in [g / c] }, pushforward: { t, _ in t[0]! / c })
  }

  /// c / x. VJP: `−g ⊙ y / x` (y = c / x). JVP: `−ẋ ⊙ y / x`.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public static func / (c: Scalar, x: Tensor) -> Tensor {
    record("scalarDivide", shape: x.shape, scalars: x.scalarKernel(.divide, c, numberFirst: true), inputs: [x], formula: "−g ⊙ y / x",
           pullback: { g, ctx in [must { try -(g * ctx.output) / ctx.inputs[0] }] },
           pushforward: { t, ctx in must { try -(t[0]! * ctx.output) / ctx.inputs[0] } })
  }
}
