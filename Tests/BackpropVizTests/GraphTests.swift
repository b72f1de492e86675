import BackpropExamples
import BackpropViz
import Foundation
import Testing

/// Graph snapshots, DOT output and the Graphviz SVG path.
struct GraphTests {
  @Test func graphOfTheChainRuleHasEveryNodeAndGradient() throws {
    let z = try ChainRuleReport.graph(s: 0.5, t: 1.2).output
    let graph = Graph(tracingBackwardOf: z)
    let names = Set(graph.nodes.map(\.name))
    #expect(names.isSuperset(of: ["s", "t", "x", "y", "z", "sin t", "cos t", "e^s", "x²", "y²"]))
    #expect(graph.nodes.count == 10 && graph.edges.count == 11)  // s and t feed two ops each
    #expect(graph.nodes[graph.rootID].name == "z")
    // Forward order: every edge goes from an earlier node to a later one.
    #expect(graph.edges.allSatisfy { $0.from < $0.to })
    let report = try ChainRuleReport.compute(s: 0.5, t: 1.2)
    let s = try #require(graph.node(named: "s")), x = try #require(graph.node(named: "x"))
    #expect(s.isLeaf && s.requiresGrad && s.values == [0.5])
    #expect(Swift.abs(try #require(s.gradient?.first) - report.dzds) < 1e-12)
    #expect(Swift.abs(try #require(x.gradient?.first) - 2 * report.x) < 1e-12)  // ∂z/∂x = 2x, an intermediate
    #expect(graph.edges.allSatisfy { $0.gradientSummary != nil && $0.localDerivative?.count == 1 })
  }

  @Test func dotShowsOpsShapesValuesAndBothDirections() throws {
    let z = try VectorChainRuleReport.graph(s: [1, 2, 3, 4], t: [0.5, -1, 2, 0]).output
    let before = Graph(from: z)  // before backward: no gradients yet
    #expect(before.nodes.allSatisfy { $0.gradientSummary == nil })
    let dot = Graph(tracingBackwardOf: z).dot(title: "vector chain rule")
    #expect(dot.hasPrefix("digraph backprop {") && dot.hasSuffix("}\n"))
    #expect(dot.contains("<b>x</b> = multiply") && dot.contains("shape [4]") && dot.contains("shape scalar"))
    #expect(dot.contains("value [1, 2, 3, 4]"))            // a small tensor's values
    #expect(dot.contains("grad [0.375, 0, 0.75, 0.25]"))   // dz/ds
    let forward = dot.split(separator: "\n").filter { $0.contains("->") && $0.contains("forward") }
    let backward = dot.split(separator: "\n").filter { $0.contains("->") && $0.contains("style=dashed") }
    // Every edge carries a gradient back: s, t → x, y (4), x, y → x + y (2), → Σ, → z = Σ / n
    // (a number is kept in the divide op, not drawn as a node).
    #expect(forward.count == 8 && backward.count == 8)
    // Gradient edges are labelled with `xlabel` (placed beside the edge after layout), never
    // `label` (routed as a node of its own, it lands across other edges).
    #expect(backward.allSatisfy { $0.contains("xlabel=\"") && !$0.contains(" label=\"") && !$0.contains(", label=\"") })
    #expect(dot.contains("forcelabels=true"))
    // The HTML-like labels must be balanced markup.
    for line in dot.split(separator: "\n") where line.contains("label=<") {
      let inner = line[line.range(of: "label=<")!.upperBound...].dropLast(3)
      try checkWellFormedXML(String(inner))
    }
  }

  @Test func largeTensorsAreSummarised() throws {
    let w = Tensor<Float>(repeating: 0.5, shape: [20, 30], requiresGrad: true); w.label = "W"
    let graph = Graph(tracingBackwardOf: w.sum())
    let node = try #require(graph.node(named: "W"))
    #expect(node.values == nil && node.summary.count == 600 && node.gradient == nil && node.gradientSummary?.max == 1)
    #expect(graph.dot().contains("‖·‖"))
  }

  @Test func svgThroughGraphvizOrDOTFallback() throws {
    let z = try ChainRuleReport.graph(s: 0.5, t: 1.2).output
    let graph = Graph(tracingBackwardOf: z)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("viz-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let svgPath = dir.appendingPathComponent("g.svg").path
    let message = try GraphFile.write(graph, to: svgPath)
    if Graphviz.isAvailable {
      let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
      try checkWellFormedXML(svg)
      #expect(svg.contains("<svg") && svg.contains("sin t") && message.contains("SVG"))
    } else {
      #expect(message.contains("apt-get install graphviz"))
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("g.dot").path))
    }
    let dotPath = dir.appendingPathComponent("g.dot").path
    #expect(try GraphFile.write(graph, to: dotPath).contains("DOT"))
    #expect(try String(contentsOfFile: dotPath, encoding: .utf8).hasPrefix("digraph"))

    // Without Graphviz (BACKPROP_DOT names a missing program): a clear message and DOT beside the .svg.
    setenv("BACKPROP_DOT", dir.appendingPathComponent("no-such-dot").path, 1)
    defer { unsetenv("BACKPROP_DOT") }
    #expect(!Graphviz.isAvailable)
    #expect(throws: Graphviz.Failure.self) { try Graphviz.svg(fromDOT: graph.dot()) }
    let fallback = try GraphFile.write(graph, to: dir.appendingPathComponent("h.svg").path)
    #expect(fallback.contains("apt-get install graphviz") && fallback.contains("h.dot"))
    #expect(try String(contentsOfFile: dir.appendingPathComponent("h.dot").path, encoding: .utf8).hasPrefix("digraph"))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("h.svg").path))
  }
}

/// The study note's pictures, drawn as SVG without Graphviz.
struct DiagramTests {
  @Test func chainRulePicture() throws {
    let r = try ChainRuleReport.compute(s: 0.5, t: 1.2)
    let svg = r.svg()
    let names = try checkWellFormedXML(svg)
    #expect(names.first == "svg" && names.filter { $0 == "rect" }.count >= 5)
    for symbol in ["∂x/∂s = 1", "∂x/∂t = −cos t", "∂y/∂s = eˢ", "∂y/∂t = −sin t", "∂z/∂x = 2x", "∂z/∂y = −2y"] {
      #expect(svg.contains(symbol), "missing edge label \(symbol)")
    }
    #expect(svg.contains(String(format: "%.5g", r.dzds)) && svg.contains(String(format: "%.5g", r.dzdt)))
  }

  @Test(arguments: VectorChainRuleReport.Combine.allCases)
  func vectorChainRulePicture(combine: VectorChainRuleReport.Combine) throws {
    let r = try VectorChainRuleReport.compute(s: [1, 2, 3, 4], t: [0.5, -1, 2, 0], combine: combine)
    let svg = r.svg()
    try checkWellFormedXML(svg)
    #expect(svg.contains("dx/ds = diag(t)") && svg.contains("dy/dt = −I") && svg.contains("4×4") && svg.contains("1×4"))
    #expect(svg.contains("(1×n)(n×n) + (1×n)(n×n) = 1×n"))
    // A 4×4 glyph per diagonal Jacobian: 4 of them with 16 cells, two 1×4 rows.
    #expect(svg.components(separatedBy: "<rect").count - 1 >= 4 * 16 + 2 * 4)
  }

  @Test(arguments: [(3, 4, 5, 2), (1, 1, 1, 1), (10, 40, 7, 3)])
  func jacobianShapesPicture(m: Int, n: Int, o: Int, p: Int) throws {
    let r = try JacobianShapesReport.compute(m: m, n: n, o: o, p: p)
    let svg = r.svg()
    try checkWellFormedXML(svg)
    for label in ["(\(m)×\(n))", "(\(n)×\(o))", "(\(o)×\(p))", "(\(m)×\(p))", "1×\(m)", "1×\(p)"] {
      #expect(svg.contains(label), "missing \(label)")
    }
  }
}
