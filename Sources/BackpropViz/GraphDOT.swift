// Graph → Graphviz DOT. Nodes are HTML-like tables (name and op, shape, value, gradient);
// solid blue edges run forward (input → output), dashed red edges carry gradients back.

extension Graph {
  /// The graph as a Graphviz DOT document.
  ///
  /// Each node shows its name and op, its output shape, its value (elements of small tensors,
  /// statistics of large ones) and, when known, ∂L/∂node. Solid edges point the way data flows
  /// forward; for every edge that carried a gradient a dashed red edge points back, labelled
  /// with the gradient sent (for one-element nodes: upstream × local derivative = sent). Leaves that need
  /// a gradient (parameters) are blue, data and constants grey, the root orange.
  ///
  /// Render it with `dot -Tsvg graph.dot -o graph.svg`, or `Graphviz.svg(fromDOT:)`.
  /// - Parameter title: a caption drawn above the graph.
  public func dot(title: String? = nil) -> String {
    var out = ["digraph backprop {",
               "  rankdir=BT;",
               "  newrank=true;",
               "  node [shape=plaintext, fontname=\"Helvetica\", fontsize=11];",
               "  edge [fontname=\"Helvetica\", fontsize=9];"]
    var caption = "solid blue: forward (data flow)   dashed red: gradient flowing back (backward)"
    if let title { caption = title + "\\n" + caption }
    out.append("  labelloc=t; fontname=\"Helvetica\"; fontsize=12; forcelabels=true; label=\"\(escapeDOTString(caption))\";")
    for node in nodes { out.append("  n\(node.id) [label=<\(htmlLabel(node))>];") }
    for edge in edges {
      out.append("  n\(edge.from) -> n\(edge.to) [color=\"#2c5f8a\", penwidth=1.3, tooltip=\"forward: input \(edge.inputIndex)\"];")
    }
    for edge in edges where edge.gradientSummary != nil {
      // Scalars: upstream × local derivative = sent, the chain rule on one edge.
      var label = "sends " + gradientText(edge.gradient, edge.gradientSummary!)
      if let local = edge.localDerivative, local.count == 1, let g = nodes[edge.to].gradient, g.count == 1, let sent = edge.gradient {
        label = "\(formatNumber(g[0])) × \(formatNumber(local[0])) = \(formatNumber(sent[0]))"
      }
      // `xlabel`, placed after layout beside the edge, not `label`, which dot routes as a node
      // of its own and which then lands across other edges.
      out.append("  n\(edge.to) -> n\(edge.from) [style=dashed, color=\"#c0392b\", fontcolor=\"#c0392b\", "
        + "constraint=false, xlabel=\"\(escapeDOTString(label))\"];")
    }
    out.append("}")
    return out.joined(separator: "\n") + "\n"
  }

  /// The node's table: a header row, then shape, value and gradient rows.
  private func htmlLabel(_ node: Node) -> String {
    let fill = node.id == rootID ? "#fff4e0" : node.isLeaf ? (node.requiresGrad ? "#e8f1fa" : "#eeeeee") : "#ffffff"
    let header = (node.operation ?? node.op).map { "<b>\(escapeXML(node.name))</b> = \(escapeXML($0))" } ?? "<b>\(escapeXML(node.name))</b>"
    var rows = ["<tr><td bgcolor=\"\(fill)\">\(header)</td></tr>",
                "<tr><td>shape \(escapeXML(formatShape(node.shape)))</td></tr>",
                "<tr><td>value \(escapeXML(valueText(node.values, node.summary)))</td></tr>"]
    if let g = node.gradientSummary {
      rows.append("<tr><td bgcolor=\"#fdecea\"><font color=\"#c0392b\">grad \(escapeXML(valueText(node.gradient, g)))</font></td></tr>")
    }
    return "<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" cellpadding=\"3\">" + rows.joined() + "</table>"
  }

  /// The values themselves when few, else min … max and the norm.
  private func valueText(_ values: [Double]?, _ summary: ValueSummary) -> String {
    guard let values else { return summary.text }
    return values.count == 1 ? formatNumber(values[0]) : formatValues(values, limit: 4, digits: 3)
  }

  private func gradientText(_ values: [Double]?, _ summary: ValueSummary) -> String {
    guard let values else { return "‖·‖ = \(formatNumber(summary.norm, digits: 3))" }
    return values.count == 1 ? formatNumber(values[0]) : formatValues(values, limit: 3, digits: 3)
  }
}

/// Escapes a string for a double-quoted DOT attribute (keeps `\n` line breaks as written).
func escapeDOTString(_ s: String) -> String {
  s.replacingOccurrences(of: "\"", with: "\\\"")
}
