import BackpropCore
import RealModule

/// The study note's scalar chain-rule example, computed by the autodiff engine and by its closed form:
///
///     z(x, y) = x² − y²,   x(s, t) = s − sin t,   y(s, t) = eˢ + cos t
///     dz/ds = 2x·1 + (−2y)·eˢ
///     dz/dt = 2x·(−cos t) + (−2y)·(−sin t)
public struct ChainRuleReport: Codable, Sendable {
  /// One node's backward step: upstream gradient × local derivative = what is sent to each input.
  public struct TraceEntry: Codable, Sendable {
    /// The node's label.
    public var node: String
    /// The op that made it.
    public var op: String
    /// ∂z/∂node, arriving from above.
    public var upstream: Double
    /// What the node sends to each input.
    public var edges: [Edge]
  }
  /// One edge of the graph during backward: the input it goes to, ∂node/∂input and the product.
  public struct Edge: Codable, Sendable {
    /// The input's label.
    public var input: String
    /// ∂node/∂input.
    public var localDerivative: Double
    /// upstream × local derivative.
    public var sent: Double
    enum CodingKeys: String, CodingKey { case input, localDerivative = "local_derivative", sent }
  }
  /// Where a leaf collected gradients from several paths: the contributions and their sum.
  public struct LeafSum: Codable, Sendable {
    /// The leaf's label.
    public var leaf: String
    /// One gradient per path into the leaf.
    public var contributions: [Double]
    /// Their sum: the leaf's gradient.
    public var sum: Double
  }
  /// A pair dz/ds, dz/dt (encoded as `dz_ds`, `dz_dt`).
  public struct ClosedForm: Codable, Sendable {
    /// dz/ds.
    public var dzds: Double
    /// dz/dt.
    public var dzdt: Double
    enum CodingKeys: String, CodingKey { case dzds = "dz_ds", dzdt = "dz_dt" }
  }
  /// The inputs, the intermediate values and the output.
  public var s, t, x, y, z: Double
  /// dz/ds and dz/dt by backpropagation.
  public var dzds, dzdt: Double
  /// dz/ds and dz/dt from the closed form.
  public var closedForm: ClosedForm
  /// |autodiff − closed form| for dz/ds and dz/dt.
  public var difference: ClosedForm
  /// Each node's backward step, from z down to the leaves.
  public var trace: [TraceEntry]
  /// The leaves that collected gradients from several paths.
  public var sums: [LeafSum]

  enum CodingKeys: String, CodingKey {
    case s, t, x, y, z, dzds = "dz_ds", dzdt = "dz_dt", closedForm = "closed_form", difference, trace, sums
  }
}

/// One of the study note's computations as recorded tensors: its labelled leaves, its output, and
/// intermediate values by name.
public struct WorkedExampleGraph {
  /// The leaves that require gradients, in the order the example names them.
  public let inputs: [Tensor<Double>]
  /// The scalar the example backpropagates from.
  public let output: Tensor<Double>
  /// Intermediate tensors the report reads (e.g. "x", "y").
  public let named: [String: Tensor<Double>]
}

extension ChainRuleReport {
  /// The example's graph at (s, t), every node labelled (s, t, sin t, x, e^s, cos t, y, x², y², z),
  /// before any backward pass: for tracing, drawing and explaining.
  public static func graph(s sValue: Double, t tValue: Double) throws -> WorkedExampleGraph {
    let s = Tensor<Double>(sValue, requiresGrad: true); s.label = "s"
    let t = Tensor<Double>(tValue, requiresGrad: true); t.label = "t"
    let sinT = t.sin(); sinT.label = "sin t"
    let x = s - sinT; x.label = "x"
    let expS = s.exp(); expS.label = "e^s"
    let cosT = t.cos(); cosT.label = "cos t"
    let y = expS + cosT; y.label = "y"
    let x2 = x.squared(); x2.label = "x²"
    let y2 = y.squared(); y2.label = "y²"
    let z = x2 - y2; z.label = "z"
    return WorkedExampleGraph(inputs: [s, t], output: z, named: ["x": x, "y": y])
  }

  /// Runs the example at (s, t): forward pass, backward pass with a trace of every node.
  public static func compute(s sValue: Double, t tValue: Double) throws -> ChainRuleReport {
    let graph = try graph(s: sValue, t: tValue)
    let (s, t, z) = (graph.inputs[0], graph.inputs[1], graph.output)
    let (x, y) = (graph.named["x"]!, graph.named["y"]!)
    var trace: [TraceEntry] = []
    var received: [ObjectIdentifier: [Double]] = [:]
    z.backward { step in
      var edges: [Edge] = []
      for (i, input) in step.inputs.enumerated() {
        guard let sent = step.sent[i], input.requiresGrad else { continue }
        edges.append(Edge(input: input.label ?? input.opName ?? "?",
                          localDerivative: step.localDerivatives?[i]?.item ?? .nan, sent: sent.item))
        if input.isLeaf { received[ObjectIdentifier(input), default: []].append(sent.item) }
      }
      trace.append(TraceEntry(node: step.output.label ?? step.op.name, op: step.op.name, upstream: step.upstream.item, edges: edges))
    }
    let (xv, yv) = (x.item, y.item)
    let closed = ClosedForm(
      dzds: 2 * xv * 1 + (-2 * yv) * Double.exp(sValue),
      dzdt: 2 * xv * -Double.cos(tValue) + (-2 * yv) * -Double.sin(tValue))
    let (ds, dt) = (s.grad!.item, t.grad!.item)
    let sums = [s, t].map { leaf in
      LeafSum(leaf: leaf.label!, contributions: received[ObjectIdentifier(leaf)] ?? [], sum: leaf.grad!.item)
    }
    return ChainRuleReport(
      s: sValue, t: tValue, x: xv, y: yv, z: z.item, dzds: ds, dzdt: dt, closedForm: closed,
      difference: ClosedForm(dzds: Swift.abs(ds - closed.dzds), dzdt: Swift.abs(dt - closed.dzdt)),
      trace: trace, sums: sums)
  }
}
