// Pieces shared by the study note's pictures: node boxes, labels on a white background, and small
// matrix glyphs that show a Jacobian's shape and sparsity (diagonal, row, dense).

extension SVGCanvas {
  /// A rounded box centred at (cx, cy) with a bold title line, plain lines, and red lines for
  /// gradients (drawn last).
  package mutating func nodeBox(cx: Double, cy: Double, width w: Double, height h: Double, title: String,
                        lines: [String], gradientLines: [String], fill: String = Palette.node) {
    rect(x: cx - w / 2, y: cy - h / 2, width: w, height: h, fill: fill, stroke: Palette.ink, strokeWidth: 1.4, rx: 10)
    let all = lines.count + gradientLines.count + 1
    let lineHeight = 17.0
    var y = cy - Double(all - 1) * lineHeight / 2 + 5
    text(title, x: cx, y: y, size: 14, bold: true)
    for l in lines { y += lineHeight; text(l, x: cx, y: y, size: 12.5) }
    for l in gradientLines { y += lineHeight; text(l, x: cx, y: y, size: 12.5, fill: Palette.gradient, bold: true) }
  }

  /// Text with a white box behind it, so it stays legible over lines. Widths are estimated.
  package mutating func label(_ lines: [(String, String)], x: Double, y: Double, anchor: String = "middle", size: Double = 12) {
    let width = (lines.map { Double($0.0.count) }.max() ?? 0) * size * 0.56 + 8
    let height = Double(lines.count) * (size + 4) + 4
    let left = anchor == "middle" ? x - width / 2 : anchor == "end" ? x - width + 4 : x - 4
    rect(x: left, y: y - size - 2, width: width, height: height, fill: "#ffffff", rx: 3)
    for (i, (s, color)) in lines.enumerated() {
      text(s, x: x, y: y + Double(i) * (size + 4), size: size, anchor: anchor, fill: color)
    }
  }

  /// A matrix drawn as cells centred at (cx, cy): zero cells white, others tinted by sign and
  /// size; numbers inside when the cells are big enough. Returns the glyph's height.
  @discardableResult
  package mutating func matrixGlyph(_ values: [[Double]], cx: Double, cy: Double, maxSize: Double = 84, cellSize: Double? = nil,
                            showNumbers: Bool = true) -> Double {
    let rows = values.count, cols = values.first?.count ?? 0
    guard rows > 0, cols > 0 else { return 0 }
    let cell = cellSize ?? Swift.min(22, maxSize / Double(Swift.max(rows, cols)))
    let (w, h) = (cell * Double(cols), cell * Double(rows))
    let (left, top) = (cx - w / 2, cy - h / 2)
    let largest = values.flatMap { $0 }.map(Swift.abs).max() ?? 1
    for r in 0..<rows {
      for c in 0..<cols {
        let v = values[r][c]
        rect(x: left + Double(c) * cell, y: top + Double(r) * cell, width: cell, height: cell,
             fill: heatColor(v, scale: largest), stroke: cell >= 5 ? "#bbbbbb" : nil, strokeWidth: 0.5,
             title: "[\(r), \(c)] = \(formatNumber(v))")
        if showNumbers && cell >= 20 && v != 0 {
          text(formatNumber(v, digits: 2), x: left + (Double(c) + 0.5) * cell, y: top + (Double(r) + 0.5) * cell + 3.5, size: 8.5)
        }
      }
    }
    rect(x: left, y: top, width: w, height: h, fill: "none", stroke: Palette.ink, strokeWidth: 1.2)
    return h
  }
}

/// White for 0, blue for positive and red for negative values, deeper for larger |v|.
package func heatColor(_ v: Double, scale: Double) -> String {
  guard v != 0, scale > 0, v.isFinite else { return "#ffffff" }
  let t = Swift.min(1, Swift.abs(v) / scale) * 0.75 + 0.15
  let (r, g, b) = v > 0 ? (31.0, 119.0, 180.0) : (214.0, 39.0, 40.0)
  func mix(_ c: Double) -> Int { Int((255 - (255 - c) * t).rounded()) }
  return "rgb(\(mix(r)),\(mix(g)),\(mix(b)))"
}
