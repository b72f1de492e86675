/// A snapshot of a computation graph: which tensors were computed from which, by what op, with
/// what shapes and values, and (after `Graph(tracingBackwardOf:)` or `BackwardTrace.run`) the
/// gradient that reached each tensor and the gradient sent along each edge.
///
/// Edges point the way data flows in the forward pass (input → output); gradients flow along
/// the same edges in reverse. Render it with `dot()` (Graphviz) or `Graphviz.svg(fromDOT:)`.
///
/// ```swift
/// let z = try (x * y).sum()
/// let graph = try Graph(tracingBackwardOf: z)   // runs z.backward()
/// try graph.dot().write(toFile: "z.dot", atomically: true, encoding: .utf8)
/// ```
///
/// See also: `explain(_:)` for the same backward pass as text and JSON.
public struct Graph: Codable, Sendable {
  /// One tensor of the computation.
  public struct Node: Codable, Sendable, Identifiable {
    /// Position in `nodes` (forward order: inputs come before what is computed from them).
    public var id: Int
    /// The tensor's `label`, a parameter name, or a generated name such as `linear1`.
    public var name: String
    /// The name of the op that produced the tensor; `nil` for a leaf.
    public var op: String?
    /// The op with its parameters, from the op value in the node: `pow(exponent: 3)`.
    public var operation: String?
    /// The tensor's shape.
    public var shape: [Int]
    /// Whether gradients flow into this tensor.
    public var requiresGrad: Bool
    /// All elements when there are at most `Graph.valueLimit` of them.
    public var values: [Double]?
    /// Statistics of the elements (always present).
    public var summary: ValueSummary
    /// ∂L/∂tensor when known (small tensors only), else `nil`.
    public var gradient: [Double]?
    /// Statistics of ∂L/∂tensor when known.
    public var gradientSummary: ValueSummary?
    /// Whether this is a leaf (made by the user, not by an op).
    public var isLeaf: Bool { op == nil }
  }

  /// An input → output edge of one op.
  public struct Edge: Codable, Sendable {
    /// The input tensor's node id.
    public var from: Int
    /// The op's output node id.
    public var to: Int
    /// Which input of the op this is (0-based).
    public var inputIndex: Int
    /// The gradient sent back along this edge (small tensors only), when traced.
    public var gradient: [Double]?
    /// Statistics of the gradient sent back along this edge, when traced.
    public var gradientSummary: ValueSummary?
    /// ∂output/∂input for a one-element output, when traced.
    public var localDerivative: [Double]?
  }

  /// Tensors with at most this many elements have their values (and gradients) stored.
  public static let valueLimit = 8

  /// The tensors, in forward order.
  public var nodes: [Node]
  /// The op edges, input → output.
  public var edges: [Edge]
  /// The id of the tensor the graph was built from (usually the loss).
  public var rootID: Int

  /// The graph that produced `root`, with current values and any `.grad` already on the tensors.
  ///
  /// Call it before `backward()` (which releases the graph unless `retainGraph: true`), or use
  /// `init(tracingBackwardOf:)` to also record every intermediate gradient.
  /// - Parameter parameterNames: names for parameters, e.g. `model.namedParameters`.
  public init<Scalar>(from root: Tensor<Scalar>, parameterNames: [(String, Tensor<Scalar>)] = []) {
    let walk = GraphWalk(root: root, parameterNames: parameterNames)
    self = walk.snapshot()
  }

  /// Runs `root.backward(gradient:)` and returns the graph with every node's gradient and every
  /// edge's sent gradient. Like `backward()`, it **adds** to the leaves' `.grad`.
  public init<Scalar>(tracingBackwardOf root: Tensor<Scalar>, gradient: Tensor<Scalar>? = nil,
                      parameterNames: [(String, Tensor<Scalar>)] = []) {
    self = BackwardTrace.run(root, gradient: gradient, parameterNames: parameterNames).graph
  }

  /// The node called `name`, if any.
  public func node(named name: String) -> Node? { nodes.first { $0.name == name } }
}

/// The tensors reachable from a root, in forward order, with stable names. Holding the tensors
/// keeps their identities valid while a backward pass is observed.
final class GraphWalk<Scalar: TensorScalar> {
  /// Reachable tensors, inputs before outputs.
  let order: [Tensor<Scalar>]
  /// Each tensor's inputs as recorded before backward (which may release them).
  let inputs: [[Tensor<Scalar>]]
  /// Node id of each tensor.
  let ids: [ObjectIdentifier: Int]
  /// Display name of each tensor, by id.
  let names: [String]
  /// The root tensor's id.
  let rootID: Int

  init(root: Tensor<Scalar>, parameterNames: [(String, Tensor<Scalar>)]) {
    // Iterative post-order DFS over every recorded input (constants and data included, unlike
    // the tape's walk, which only follows tensors that need a gradient).
    var order: [Tensor<Scalar>] = []
    var seen: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
    var stack: [(Tensor<Scalar>, Int)] = [(root, 0)]
    while let (t, i) = stack.last {
      let ins = t.graphInputs
      if i < ins.count {
        stack[stack.count - 1].1 = i + 1
        if seen.insert(ObjectIdentifier(ins[i])).inserted { stack.append((ins[i], 0)) }
      } else {
        order.append(t)
        stack.removeLast()
      }
    }
    self.order = order
    inputs = order.map(\.graphInputs)
    var ids: [ObjectIdentifier: Int] = [:]
    for (i, t) in order.enumerated() { ids[ObjectIdentifier(t)] = i }
    self.ids = ids
    rootID = ids[ObjectIdentifier(root)]!
    names = GraphWalk.makeNames(order, parameterNames: parameterNames)
  }

  /// Labels first, then parameter names, then `<op><k>` for op results, the value for
  /// one-element constants and `input<k>` / `param<k>` for other leaves. Duplicates get a suffix.
  private static func makeNames(_ order: [Tensor<Scalar>], parameterNames: [(String, Tensor<Scalar>)]) -> [String] {
    var given: [ObjectIdentifier: String] = [:]
    for (name, p) in parameterNames { given[ObjectIdentifier(p)] = name }
    var counters: [String: Int] = [:]
    var used: [String: Int] = [:]
    return order.map { t in
      var name: String
      if let label = t.label, !label.isEmpty {
        name = label
      } else if let n = given[ObjectIdentifier(t)] {
        name = n
      } else if let op = t.opName {
        counters[op, default: 0] += 1
        name = "\(op)\(counters[op]!)"
      } else if t.count == 1 && !t.requiresGrad {
        return formatNumber(Double(t.scalars[0]))  // constants may repeat
      } else {
        let kind = t.requiresGrad ? "param" : "input"
        counters[kind, default: 0] += 1
        name = "\(kind)\(counters[kind]!)"
      }
      used[name, default: 0] += 1
      if used[name]! > 1 { name += "′\(used[name]! - 1)" }
      return name
    }
  }

  /// The graph as it stands. Gradients come from `traced` (recorded during a backward pass)
  /// or, for tensors the pass did not report (leaves), from their `.grad`.
  func snapshot(traced: [Int: TracedValue] = [:], edges tracedEdges: [EdgeKey: TracedEdge] = [:]) -> Graph {
    var nodes: [Graph.Node] = []
    var edges: [Graph.Edge] = []
    for (i, t) in order.enumerated() {
      let value = TracedValue(t)
      let grad = traced[i] ?? t.grad.map(TracedValue.init)
      nodes.append(Graph.Node(
        id: i, name: names[i], op: t.opName, operation: t.op?.description, shape: t.shape, requiresGrad: t.requiresGrad,
        values: value.small, summary: value.summary, gradient: grad?.small, gradientSummary: grad?.summary))
      for (k, x) in inputs[i].enumerated() {
        let info = tracedEdges[EdgeKey(to: i, input: k)]
        edges.append(Graph.Edge(
          from: ids[ObjectIdentifier(x)]!, to: i, inputIndex: k, gradient: info?.sent.small,
          gradientSummary: info?.sent.summary, localDerivative: info?.local))
      }
    }
    return Graph(nodes: nodes, edges: edges, rootID: rootID)
  }
}

/// A tensor's values as a graph stores them: all of them if few, and summary statistics.
struct TracedValue {
  /// The elements when there are at most `Graph.valueLimit`.
  var small: [Double]?
  /// Statistics of the elements.
  var summary: ValueSummary

  init<Scalar>(_ t: Tensor<Scalar>) {
    let v = t.doubleValues
    small = v.count <= Graph.valueLimit ? v : nil
    summary = ValueSummary(v)
  }
}

/// What one edge carried during a traced backward pass.
struct TracedEdge {
  /// The gradient sent to the input.
  var sent: TracedValue
  /// ∂output/∂input for a one-element output.
  var local: [Double]?
}

/// Identifies one edge: the op's output node and the input position.
struct EdgeKey: Hashable {
  var to: Int
  var input: Int
}

extension Graph {
  /// Memberwise, for `GraphWalk`.
  init(nodes: [Node], edges: [Edge], rootID: Int) {
    self.nodes = nodes
    self.edges = edges
    self.rootID = rootID
  }
}
