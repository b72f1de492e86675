import BackpropCore

/// The study note's vector chain-rule example with vectors s, t of length n:
///
///     x = s ⊙ t,   y = s − t,   z = mean(x + y)   (or mean(x ⊙ y) with `.multiply`)
///
/// dz/ds and dz/dt are 1×n rows. The local Jacobians are diagonal (dx/ds = diag(t),
/// dx/dt = diag(s), dy/ds = I, dy/dt = −I) and dz/dx, dz/dy are 1×n; the report composes
/// them as matrices, compares with backpropagation (which never builds them) and with finite
/// differences.
public struct VectorChainRuleReport: Codable, Sendable {
  /// How z combines x and y.
  public enum Combine: String, Codable, Sendable, CaseIterable {
    /// z = mean(x + y).
    case add
    /// z = mean(x ⊙ y).
    case multiply
  }
  /// How z combines x and y.
  public var combine: Combine
  /// The inputs and the intermediate vectors.
  public var s, t, x, y: [Double]
  /// The output.
  public var z: Double
  /// ∂z/∂s and ∂z/∂t from backpropagation, as 1×n rows.
  public var dzds, dzdt: [[Double]]
  /// The local Jacobians, each as a matrix (rows of numbers), computed by `jacobian(of:at:)`.
  public var jacobians: [String: [[Double]]]
  /// The shape of every Jacobian in the chain, e.g. "dx/ds": [n, n], "dz/dx": [1, n].
  public var shapes: [String: [Int]]
  /// max |backprop − Jacobian product| over dz/ds and dz/dt.
  public var maxDifferenceFromJacobianProduct: Double
  /// max |backprop − central finite difference| over dz/ds and dz/dt.
  public var maxDifferenceFromFiniteDifferences: Double

  enum CodingKeys: String, CodingKey {
    case combine, s, t, x, y, z, dzds = "dz_ds", dzdt = "dz_dt", jacobians, shapes
    case maxDifferenceFromJacobianProduct = "max_abs_diff_jacobian_product"
    case maxDifferenceFromFiniteDifferences = "max_abs_diff_finite_difference"
  }
}

extension VectorChainRuleReport {
  /// The example's graph (labelled s, t, x, y, x + y or x ⊙ y, Σ, z) before any backward pass.
  /// z is written Σ/n so that a drawing shows the 1×n row of the mean.
  public static func graph(s: [Double], t: [Double], combine: Combine = .add) throws -> WorkedExampleGraph {
    try validate(s, t)
    let sT = Tensor<Double>(s, requiresGrad: true); sT.label = "s"
    let tT = Tensor<Double>(t, requiresGrad: true); tT.label = "t"
    let x = sT * tT; x.label = "x"
    let y = sT - tT; y.label = "y"
    let combined = combine == .add ? x + y : x * y
    combined.label = combine == .add ? "x + y" : "x ⊙ y"
    let sum = combined.sum(); sum.label = "Σ"
    let z = sum / Double(s.count); z.label = "z"
    return WorkedExampleGraph(inputs: [sT, tT], output: z, named: ["x": x, "y": y])
  }

  private static func validate(_ s: [Double], _ t: [Double]) throws {
    guard s.count == t.count, !s.isEmpty else {
      throw TensorError.invalidArgument(op: "vector-chain-rule", message: "s and t must have the same non-zero length (got \(s.count) and \(t.count))")
    }
  }

  /// Runs the example; `s` and `t` must have the same, non-zero length.
  public static func compute(s: [Double], t: [Double], combine: Combine = .add) throws -> VectorChainRuleReport {
    try validate(s, t)
    let n = s.count
    let x = { (s: Tensor<Double>, t: Tensor<Double>) throws in s * t }
    let y = { (s: Tensor<Double>, t: Tensor<Double>) throws in s - t }
    let z = { (x: Tensor<Double>, y: Tensor<Double>) throws in
      (combine == .add ? x + y : x * y).mean()
    }
    let sT = Tensor<Double>(s), tT = Tensor<Double>(t)
    let xv = try x(sT, tT), yv = try y(sT, tT)
    // Backpropagation through the labelled graph.
    let graph = try graph(s: s, t: t, combine: combine)
    graph.output.backward()
    let zValue = graph.output
    let grads = graph.inputs.map { $0.grad! }
    // Local Jacobians, composed as matrices: dz/ds = dz/dx·dx/ds + dz/dy·dy/ds.
    let dxds = try jacobian(of: { try x($0, tT) }, at: sT), dxdt = try jacobian(of: { try x(sT, $0) }, at: tT)
    let dyds = try jacobian(of: { try y($0, tT) }, at: sT), dydt = try jacobian(of: { try y(sT, $0) }, at: tT)
    let dzdx = try jacobian(of: { try z($0, yv) }, at: xv).reshaped(to: [1, n])
    let dzdy = try jacobian(of: { try z(xv, $0) }, at: yv).reshaped(to: [1, n])
    let viaS = dzdx.matmul(dxds) + dzdy.matmul(dyds)
    let viaT = dzdx.matmul(dxdt) + dzdy.matmul(dydt)
    let productDiff = zip(grads[0].scalars + grads[1].scalars, viaS.scalars + viaT.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
    // Central finite differences.
    var fdDiff = 0.0
    for (k, base) in [s, t].enumerated() {
      for i in 0..<n {
        func value(_ delta: Double) throws -> Double {
          var v = [s, t]; v[k][i] = base[i] + delta
          return try z(x(Tensor(v[0]), Tensor(v[1])), y(Tensor(v[0]), Tensor(v[1]))).item
        }
        let numeric = (try value(1e-6) - value(-1e-6)) / 2e-6
        fdDiff = Swift.max(fdDiff, Swift.abs(numeric - grads[k].scalars[i]))
      }
    }
    func rows(_ m: Tensor<Double>) -> [[Double]] {
      let c = m.shape.last ?? 1
      return stride(from: 0, to: m.count, by: c).map { Array(m.scalars[$0..<($0 + c)]) }
    }
    let named = ["dx/ds": dxds, "dx/dt": dxdt, "dy/ds": dyds, "dy/dt": dydt, "dz/dx": dzdx, "dz/dy": dzdy]
    var shapes = named.mapValues(\.shape)
    shapes["dz/ds"] = [1, n]; shapes["dz/dt"] = [1, n]
    return VectorChainRuleReport(
      combine: combine, s: s, t: t, x: xv.scalars, y: yv.scalars, z: zValue.item,
      dzds: [grads[0].scalars], dzdt: [grads[1].scalars], jacobians: named.mapValues(rows), shapes: shapes,
      maxDifferenceFromJacobianProduct: productDiff, maxDifferenceFromFiniteDifferences: fdDiff)
  }
}
