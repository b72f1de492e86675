import BackpropViz

extension JacobianShapesReport {
  /// The study note's "Jacobians compose by shape" picture as a standalone SVG.
  ///
  /// Top: df/dg (m×n) · dg/dh (n×o) · dh/di (o×p) = df/di (m×p), each matrix drawn to scale with
  /// its dimensions, the matching inner dimensions marked by coloured bars of equal length, and the product's
  /// entries. Bottom: what backpropagation does instead — start from a 1×m row at the output end
  /// and multiply it through (1×m)(m×n) → 1×n → 1×o → 1×p, never forming a matrix product.
  public func svg() -> String {
    let dims = [m, n, o, p]
    let unit = Swift.max(3, Swift.min(32, 200 / Double(dims.max() ?? 1)))
    let mats: [(name: String, rows: Int, cols: Int, r: String, c: String)] = [
      ("df/dg", m, n, "m", "n"), ("dg/dh", n, o, "n", "o"), ("dh/di", o, p, "o", "p"), ("df/di", m, p, "m", "p"),
    ]
    let gap = 120.0
    let widths = mats.map { Double($0.cols) * unit }
    let contentWidth = widths.reduce(0, +) + gap * 3
    let rowUnit = Swift.max(3, Swift.min(28, 170 / Double(dims.max() ?? 1)))
    let arrow = 190.0
    let vjpWidth = Double(m + n + o + p) * rowUnit + arrow * 3
    let width = Swift.max(960, contentWidth + 160, vjpWidth + 120)
    let top = 150.0
    let maxHeight = mats.map { Double($0.rows) * unit }.max() ?? 0
    let vjpTop = top + maxHeight + 150
    var c = SVGCanvas(width: width, height: vjpTop + 220)
    let palette = ["n": "#d62728", "o": "#2ca02c", "m": "#1f77b4", "p": "#9467bd"]

    c.text("Jacobians compose by shape: (m,n)·(n,o)·(o,p) → (m,p)", x: width / 2, y: 36, size: 19, bold: true)
    c.text("f(g(h(i))) with i ∈ ℝᵖ, h ∈ ℝᵒ, g ∈ ℝⁿ, f ∈ ℝᵐ;  m = \(m), n = \(n), o = \(o), p = \(p)  (seed \(seed))",
           x: width / 2, y: 62, size: 13, fill: SVGCanvas.Palette.muted)
    c.text("The chain rule multiplies the Jacobians; each inner dimension must match (bars of one colour have one length).",
           x: width / 2, y: 82, size: 13, fill: SVGCanvas.Palette.muted)

    var x = (width - contentWidth) / 2
    var lefts: [Double] = []
    for (k, mat) in mats.enumerated() {
      let (w, h) = (Double(mat.cols) * unit, Double(mat.rows) * unit)
      lefts.append(x)
      let values = k == 3 ? product : Array(repeating: Array(repeating: 0.0, count: mat.cols), count: mat.rows)
      if k == 3 {
        c.matrixGlyph(values, cx: x + w / 2, cy: top + h / 2, cellSize: unit, showNumbers: unit >= 22)
      } else {
        c.rect(x: x, y: top, width: w, height: h, fill: SVGCanvas.Palette.leaf, stroke: SVGCanvas.Palette.ink, strokeWidth: 1.4)
        if unit >= 6 {
          for i in 1..<Swift.max(mat.cols, 1) { c.line(x1: x + Double(i) * unit, y1: top, x2: x + Double(i) * unit, y2: top + h, stroke: "#c9d6e3", width: 0.6) }
          for i in 1..<Swift.max(mat.rows, 1) { c.line(x1: x, y1: top + Double(i) * unit, x2: x + w, y2: top + Double(i) * unit, stroke: "#c9d6e3", width: 0.6) }
        }
      }
      c.text(mat.name, x: x + w / 2, y: top - 34, size: 15, bold: true)
      // A bar per dimension, coloured by which one it is: equal colours have equal lengths,
      // which is the rule that inner dimensions must match.
      c.line(x1: x - 7, y1: top, x2: x - 7, y2: top + h, stroke: palette[mat.r]!, width: 4)
      c.line(x1: x, y1: top + h + 7, x2: x + w, y2: top + h + 7, stroke: palette[mat.c]!, width: 4)
      c.text("\(mat.r) = \(mat.rows)", x: x - 14, y: top + h / 2 + 4, size: 12, anchor: "end", fill: palette[mat.r]!, bold: true)
      c.text("\(mat.c) = \(mat.cols)", x: x + w / 2, y: top - 12, size: 12, fill: palette[mat.c]!, bold: true)
      c.text("(\(mat.rows)×\(mat.cols))", x: x + w / 2, y: top + h + 30, size: 13)
      if k < 3 { c.text(k == 2 ? "=" : "·", x: x + w + 38, y: top + Swift.min(h, maxHeight) / 2 + 12, size: 48, bold: true) }
      x += w + gap
    }
    c.text("max |product − Jacobian of the composite| = \(formatNumber(maxDifference, digits: 2))",
           x: width / 2, y: top + maxHeight + 100, size: 13, fill: SVGCanvas.Palette.muted)

    // Backpropagation: vector–Jacobian products from the output end.
    c.text("Backpropagation: start from a 1×m row at the output and multiply it through, one VJP per layer (no matrix products)",
           x: width / 2, y: vjpTop, size: 14, fill: SVGCanvas.Palette.gradient, bold: true)
    let steps: [(String, Int, String)] = [("e₁ᵀ", m, "m"), ("e₁ᵀ·df/dg", n, "n"), ("…·dg/dh", o, "o"), ("…·dh/di = row 1 of df/di", p, "p")]
    let rowWidths = steps.map { Double($0.1) * rowUnit }
    var rx = (width - rowWidths.reduce(0, +) - arrow * 3) / 2
    let ry = vjpTop + 50
    for (k, step) in steps.enumerated() {
      let w = rowWidths[k]
      c.rect(x: rx, y: ry, width: w, height: rowUnit, fill: SVGCanvas.Palette.highlight, stroke: SVGCanvas.Palette.gradient, strokeWidth: 1.4)
      c.text(step.0, x: rx + w / 2, y: ry - 10, size: 13)
      c.text("1×\(step.1)", x: rx + w / 2, y: ry + rowUnit + 20, size: 13, fill: palette[step.2]!, bold: true)
      if k < 3 {
        let next = mats[k]
        c.line(x1: rx + w + 14, y1: ry + rowUnit / 2, x2: rx + w + arrow - 14, y2: ry + rowUnit / 2,
               stroke: SVGCanvas.Palette.gradient, width: 2, arrow: true)
        c.text("· \(next.name) (\(next.rows)×\(next.cols))", x: rx + w + arrow / 2, y: ry + rowUnit / 2 + 22, size: 12,
               fill: SVGCanvas.Palette.gradient)
      }
      rx += w + arrow
    }
    c.text("max |row 1 of the product − one VJP with e₁| = \(formatNumber(maxDifferenceFromVJPRow, digits: 2))",
           x: width / 2, y: ry + rowUnit + 62, size: 13, fill: SVGCanvas.Palette.muted)
    return c.render(title: "Jacobian shapes (\(m),\(n))·(\(n),\(o))·(\(o),\(p)) → (\(m),\(p))")
  }
}
