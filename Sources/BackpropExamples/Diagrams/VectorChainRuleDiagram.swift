import BackpropViz

extension VectorChainRuleReport {
  /// The study note's vector chain rule as a standalone SVG picture, with every Jacobian's shape.
  ///
  /// s, t ∈ ℝⁿ at the bottom; x = s ⊙ t and y = s − t in the middle; z = mean(x + y) (or
  /// mean(x ⊙ y)) at the top. Each edge shows its local Jacobian as a matrix glyph with its shape:
  /// the four n×n Jacobians below are diagonal (diag(t), diag(s), I, −I), the two above are 1×n
  /// rows. The bottom lines compose them, (1×n)(n×n) + (1×n)(n×n) = 1×n, and note that
  /// backpropagation computes the same rows as Hadamard products without building any matrix.
  public func svg() -> String {
    let n = s.count
    var c = SVGCanvas(width: 1040, height: 910)
    let (w, h) = (300.0, 88.0)
    let pos: [String: (Double, Double)] = ["z": (520, 150), "x": (280, 370), "y": (760, 370), "s": (280, 690), "t": (760, 690)]
    let row = { (v: [Double]) in formatValues(v, limit: 6, digits: 3) }
    let zFormula = combine == .add ? "z = mean(x + y)" : "z = mean(x ⊙ y)"

    c.text("The vector chain rule: x = s ⊙ t,  y = s − t,  \(zFormula),  n = \(n)", x: 520, y: 34, size: 18, bold: true)
    c.text("Each edge shows its local Jacobian (shape and entries; white = 0). Below x and y they are n×n and diagonal; above, 1×n rows.",
           x: 520, y: 58, size: 11.5, fill: SVGCanvas.Palette.muted)
    c.text("dz/ds and dz/dt are 1×n rows: the products of these Jacobians, summed over both paths.", x: 520, y: 74, size: 11.5,
           fill: SVGCanvas.Palette.muted)

    let zOverX = combine == .add ? "(1/n)·1ᵀ" : "yᵀ/n", zOverY = combine == .add ? "(1/n)·1ᵀ" : "xᵀ/n"
    let edges: [(from: String, to: String, name: String, symbol: String, at: Double, dx: Double)] = [
      ("s", "x", "dx/ds", "diag(t)", 0.5, -120), ("t", "x", "dx/dt", "diag(s)", 0.36, 0),
      ("s", "y", "dy/ds", "I", 0.36, 0), ("t", "y", "dy/dt", "−I", 0.5, 120),
      ("x", "z", "dz/dx", zOverX, 0.5, -150), ("y", "z", "dz/dy", zOverY, 0.5, 150),
    ]
    for e in edges {
      let (p, q) = (pos[e.from]!, pos[e.to]!)
      c.line(x1: p.0, y1: p.1 - h / 2, x2: q.0, y2: q.1 + h / 2, stroke: SVGCanvas.Palette.forward, width: 2, arrow: true)
    }
    for e in edges {
      let (p, q) = (pos[e.from]!, pos[e.to]!)
      let (x1, y1, x2, y2) = (p.0, p.1 - h / 2, q.0, q.1 + h / 2)
      let (cx, cy) = (x1 + (x2 - x1) * e.at + e.dx, y1 + (y2 - y1) * e.at)
      let matrix = jacobians[e.name] ?? []
      let shape = shapes[e.name] ?? [matrix.count, matrix.first?.count ?? 0]
      let glyphHeight = Swift.min(84, Double(shape[0]) * Swift.min(22, 84 / Double(Swift.max(shape[0], shape[1], 1))))
      c.label([("\(e.name) = \(e.symbol)", SVGCanvas.Palette.forward)], x: cx, y: cy - glyphHeight / 2 - 10, size: 13)
      c.matrixGlyph(matrix, cx: cx, cy: cy)
      c.label([("\(shape[0])×\(shape[1])", SVGCanvas.Palette.ink)], x: cx, y: cy + glyphHeight / 2 + 17, size: 12.5)
    }
    let nodes: [(String, String, [String], [String])] = [
      ("z", zFormula, ["z = \(formatNumber(z, digits: 6))"], ["dz/dz = 1"]),
      ("x", "x = s ⊙ t  (n)", ["x = \(row(x))"], []),
      ("y", "y = s − t  (n)", ["y = \(row(y))"], []),
      ("s", "s  (n)", ["s = \(row(s))"], ["dz/ds = \(row(dzds.first ?? []))  (1×n)"]),
      ("t", "t  (n)", ["t = \(row(t))"], ["dz/dt = \(row(dzdt.first ?? []))  (1×n)"]),
    ]
    for (key, title, lines, grads) in nodes {
      let fill = key == "z" ? SVGCanvas.Palette.output : (key == "s" || key == "t") ? SVGCanvas.Palette.leaf : SVGCanvas.Palette.node
      c.nodeBox(cx: pos[key]!.0, cy: pos[key]!.1, width: w, height: h, title: title, lines: lines, gradientLines: grads, fill: fill)
    }

    let vjpX = combine == .add ? "(1/n)" : "y/n", vjpY = combine == .add ? "(1/n)" : "x/n"
    var y0 = 790.0
    for (line, color) in [
      ("dz/ds = dz/dx·dx/ds + dz/dy·dy/ds = (1×n)(n×n) + (1×n)(n×n) = 1×n = \(row(dzds.first ?? []))", SVGCanvas.Palette.ink),
      ("dz/dt = dz/dx·dx/dt + dz/dy·dy/dt = (1×n)(n×n) + (1×n)(n×n) = 1×n = \(row(dzdt.first ?? []))", SVGCanvas.Palette.ink),
      ("Backpropagation never builds the n×n matrices: δx = \(vjpX), δy = \(vjpY), then δs = δx ⊙ t + δy and "
        + "δt = δx ⊙ s − δy (Hadamard products).", SVGCanvas.Palette.gradient),
      ("max |backprop − Jacobian product| = \(formatNumber(maxDifferenceFromJacobianProduct, digits: 2)),  "
        + "max |backprop − finite differences| = \(formatNumber(maxDifferenceFromFiniteDifferences, digits: 2))", SVGCanvas.Palette.muted),
    ] {
      c.text(line, x: 520, y: y0, size: 13.5, fill: color)
      y0 += 28
    }
    return c.render(title: "Vector chain rule with Jacobian shapes, n = \(n)")
  }
}
