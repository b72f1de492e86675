// A minimal SVG writer: every picture in this module is drawn with it, so none of them needs
// Graphviz or a browser library. Text is always escaped, numbers are written without exponents,
// and the output is a well-formed standalone XML document.

/// Accumulates SVG elements and renders a standalone `<svg>` document.
package struct SVGCanvas {
  /// Width of the picture in CSS pixels.
  package var width: Double
  /// Height of the picture in CSS pixels.
  package var height: Double
  private var elements: [String] = []
  /// Colours that need an arrowhead marker in `<defs>`.
  private var arrowColors: [String] = []

  /// Colours used across the pictures, so that they read as one family.
  package enum Palette {
    package static let ink = "#222222"
    package static let muted = "#666666"
    package static let grid = "#e3e3e3"
    package static let forward = "#2c5f8a"
    package static let gradient = "#c0392b"
    package static let leaf = "#e8f1fa"
    package static let node = "#ffffff"
    package static let output = "#fff4e0"
    package static let highlight = "#fdecea"
    package static let series = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                         "#7f7f7f", "#bcbd22"]
  }

  package init(width: Double, height: Double) {
    self.width = width
    self.height = height
  }

  /// Appends raw, already well-formed markup.
  package mutating func raw(_ markup: String) { elements.append(markup) }

  /// A rectangle; `rx` rounds its corners, `title` becomes a hover tooltip.
  package mutating func rect(x: Double, y: Double, width w: Double, height h: Double, fill: String,
                     stroke: String? = nil, strokeWidth: Double = 1, rx: Double = 0, title: String? = nil) {
    var a = "x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" width=\"\(svgNumber(max(w, 0)))\" height=\"\(svgNumber(max(h, 0)))\" fill=\"\(fill)\""
    if let stroke { a += " stroke=\"\(stroke)\" stroke-width=\"\(svgNumber(strokeWidth))\"" }
    if rx > 0 { a += " rx=\"\(svgNumber(rx))\"" }
    if let title { elements.append("<rect \(a)><title>\(escapeXML(title))</title></rect>") } else { elements.append("<rect \(a)/>") }
  }

  /// A straight line; `arrow` adds an arrowhead at the end in the line's colour.
  package mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String = Palette.ink,
                     width w: Double = 1, dashed: Bool = false, arrow: Bool = false) {
    var a = "x1=\"\(svgNumber(x1))\" y1=\"\(svgNumber(y1))\" x2=\"\(svgNumber(x2))\" y2=\"\(svgNumber(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(svgNumber(w))\""
    if dashed { a += " stroke-dasharray=\"6 4\"" }
    if arrow { a += " marker-end=\"url(#\(arrowID(stroke)))\""; noteArrow(stroke) }
    elements.append("<line \(a)/>")
  }

  /// A polyline through `points` (no fill).
  package mutating func polyline(_ points: [(Double, Double)], stroke: String, width w: Double = 2, dashed: Bool = false) {
    guard !points.isEmpty else { return }
    let p = points.map { "\(svgNumber($0.0)),\(svgNumber($0.1))" }.joined(separator: " ")
    elements.append("<polyline points=\"\(p)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(svgNumber(w))\""
      + (dashed ? " stroke-dasharray=\"6 4\"" : "") + " stroke-linejoin=\"round\"/>")
  }

  /// A small filled circle, with an optional tooltip.
  package mutating func circle(cx: Double, cy: Double, r: Double, fill: String, title: String? = nil) {
    let a = "cx=\"\(svgNumber(cx))\" cy=\"\(svgNumber(cy))\" r=\"\(svgNumber(r))\" fill=\"\(fill)\""
    if let title { elements.append("<circle \(a)><title>\(escapeXML(title))</title></circle>") } else { elements.append("<circle \(a)/>") }
  }

  /// Text anchored at (x, y): `anchor` is `start`, `middle` or `end`.
  package mutating func text(_ s: String, x: Double, y: Double, size: Double = 13, anchor: String = "middle",
                     fill: String = Palette.ink, bold: Bool = false, italic: Bool = false, rotate: Double? = nil) {
    var a = "x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" font-size=\"\(svgNumber(size))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\""
    if bold { a += " font-weight=\"bold\"" }
    if italic { a += " font-style=\"italic\"" }
    if let rotate { a += " transform=\"rotate(\(svgNumber(rotate)) \(svgNumber(x)) \(svgNumber(y)))\"" }
    elements.append("<text \(a)>\(escapeXML(s))</text>")
  }

  /// A quadratic Bézier from (x1, y1) to (x2, y2) bent through (cx, cy), with an arrowhead.
  package mutating func curve(x1: Double, y1: Double, cx: Double, cy: Double, x2: Double, y2: Double,
                      stroke: String, width w: Double = 1.5, dashed: Bool = false) {
    noteArrow(stroke)
    let d = "M\(svgNumber(x1)),\(svgNumber(y1)) Q\(svgNumber(cx)),\(svgNumber(cy)) \(svgNumber(x2)),\(svgNumber(y2))"
    elements.append("<path d=\"\(d)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(svgNumber(w))\""
      + (dashed ? " stroke-dasharray=\"6 4\"" : "") + " marker-end=\"url(#\(arrowID(stroke)))\"/>")
  }

  private mutating func noteArrow(_ color: String) {
    if !arrowColors.contains(color) { arrowColors.append(color) }
  }

  private func arrowID(_ color: String) -> String {
    "arrow-" + color.filter { $0.isLetter || $0.isNumber }
  }

  /// The standalone document: XML declaration, `xmlns`, `viewBox`, arrowhead markers, a white
  /// background and the elements in the order they were added.
  package func render(title: String? = nil) -> String {
    var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" "
      + "viewBox=\"0 0 \(svgNumber(width)) \(svgNumber(height))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
    if let title { out += "<title>\(escapeXML(title))</title>\n" }
    out += "<defs>\n"
    for c in arrowColors {
      out += "<marker id=\"\(arrowID(c))\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
        + "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"\(c)\"/></marker>\n"
    }
    out += "</defs>\n<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
    out += elements.joined(separator: "\n")
    out += "\n</svg>\n"
    return out
  }

  /// The same picture as an inline `<svg>` element for embedding in HTML (no XML declaration).
  package func renderInline(title: String? = nil) -> String {
    let doc = render(title: title)
    guard let start = doc.range(of: "<svg") else { return doc }
    return String(doc[start.lowerBound...])
  }
}
