// Arithmetic with plain numbers: the number becomes a rank-0 tensor and broadcasts, so these
// share the tensor–tensor rules above. They cannot fail, so they need no `try`.

extension Tensor {
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public static func + (a: Tensor, b: Scalar) -> Tensor { must { try a + Tensor(b) } }
  public static func + (a: Scalar, b: Tensor) -> Tensor { must { try Tensor(a) + b } }
  public static func - (a: Tensor, b: Scalar) -> Tensor { must { try a - Tensor(b) } }
  public static func - (a: Scalar, b: Tensor) -> Tensor { must { try Tensor(a) - b } }
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public static func * (a: Tensor, b: Scalar) -> Tensor { must { try a * Tensor(b) } }
  public static func * (a: Scalar, b: Tensor) -> Tensor { must { try Tensor(a) * b } }
  public static func / (a: Tensor, b: Scalar) -> Tensor { must { try a / Tensor(b) } }
  public static func / (a: Scalar, b: Tensor) -> Tensor { must { try Tensor(a) / b } }
}
