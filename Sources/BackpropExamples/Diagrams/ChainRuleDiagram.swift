import BackpropViz
import Foundation

extension ChainRuleReport {
  /// The study note's scalar chain-rule tree as a standalone SVG picture.
  ///
  /// s and t at the bottom feed x = s − sin t and y = eˢ + cos t, which feed z = x² − y² at the
  /// top. Blue arrows run forward. Each edge carries its local derivative (∂x/∂s = 1,
  /// ∂x/∂t = −cos t, ∂y/∂s = eˢ, ∂y/∂t = −sin t, ∂z/∂x = 2x, ∂z/∂y = −2y) and, in red, what
  /// backpropagation sends along it; each node shows its value and ∂z/∂node. Below, the two
  /// paths into s and into t are summed, as the seed writes them, and compared with the closed form.
  public func svg() -> String {
    var c = SVGCanvas(width: 980, height: 760)
    let (w, h) = (230.0, 86.0)
    let pos: [String: (Double, Double)] = ["z": (490, 150), "x": (260, 350), "y": (720, 350), "s": (260, 560), "t": (720, 560)]
    let local = ["x.s": 1.0, "x.t": -Foundation.cos(t), "y.s": Foundation.exp(s), "y.t": -Foundation.sin(t), "z.x": 2 * x, "z.y": -2 * y]
    let grad = ["z": 1.0, "x": 2 * x, "y": -2 * y, "s": dzds, "t": dzdt]
    let f = { (v: Double) in formatNumber(v, digits: 5) }

    c.text("The chain rule, backpropagated: z = x² − y²,  x = s − sin t,  y = eˢ + cos t", x: 490, y: 34, size: 18, bold: true)
    c.text("Blue arrows: forward (values flow up).  Red: backward — each node multiplies the gradient from above by the edge's local derivative and sends it down;",
           x: 490, y: 58, size: 11.5, fill: SVGCanvas.Palette.muted)
    c.text("where two paths reach the same variable, their contributions are added.", x: 490, y: 74, size: 11.5, fill: SVGCanvas.Palette.muted)

    // Edges first, so that boxes and labels sit on top of them.
    let edges: [(from: String, to: String, symbol: String, at: Double, dx: Double, anchor: String)] = [
      ("s", "x", "∂x/∂s = 1", 0.5, -12, "end"), ("t", "x", "∂x/∂t = −cos t", 0.27, 0, "middle"),
      ("s", "y", "∂y/∂s = eˢ", 0.27, 0, "middle"), ("t", "y", "∂y/∂t = −sin t", 0.5, 12, "start"),
      ("x", "z", "∂z/∂x = 2x", 0.45, -16, "end"), ("y", "z", "∂z/∂y = −2y", 0.45, 16, "start"),
    ]
    for e in edges {
      let (p, q) = (pos[e.from]!, pos[e.to]!)
      let (x1, y1, x2, y2) = (p.0, p.1 - h / 2, q.0, q.1 + h / 2)
      c.line(x1: x1, y1: y1, x2: x2, y2: y2, stroke: SVGCanvas.Palette.forward, width: 2, arrow: true)
    }
    for e in edges {
      let (p, q) = (pos[e.from]!, pos[e.to]!)
      let (x1, y1, x2, y2) = (p.0, p.1 - h / 2, q.0, q.1 + h / 2)
      let (lx, ly) = (x1 + (x2 - x1) * e.at + e.dx, y1 + (y2 - y1) * e.at)
      let d = local["\(e.to).\(e.from)"]!, g = grad[e.to]!
      c.label([(e.symbol + " = " + f(d), SVGCanvas.Palette.forward),
               ("sends \(f(g)) × \(f(d)) = \(f(g * d))", SVGCanvas.Palette.gradient)], x: lx, y: ly - 4, anchor: e.anchor)
    }
    let nodes: [(String, String, [String], String)] = [
      ("z", "z = x² − y²", ["z = \(f(z))"], "∂z/∂z = 1"),
      ("x", "x = s − sin t", ["x = \(f(x))"], "∂z/∂x = 2x = \(f(grad["x"]!))"),
      ("y", "y = eˢ + cos t", ["y = \(f(y))"], "∂z/∂y = −2y = \(f(grad["y"]!))"),
      ("s", "s", ["s = \(f(s))"], "∂z/∂s = \(f(dzds))"),
      ("t", "t", ["t = \(f(t))"], "∂z/∂t = \(f(dzdt))"),
    ]
    for (key, title, lines, g) in nodes {
      let fill = key == "z" ? SVGCanvas.Palette.output : (key == "s" || key == "t") ? SVGCanvas.Palette.leaf : SVGCanvas.Palette.node
      c.nodeBox(cx: pos[key]!.0, cy: pos[key]!.1, width: w, height: h, title: title, lines: lines, gradientLines: [g], fill: fill)
    }

    // The sums over paths, as the seed writes them.
    let sx = grad["x"]! * local["x.s"]!, sy = grad["y"]! * local["y.s"]!
    let tx = grad["x"]! * local["x.t"]!, ty = grad["y"]! * local["y.t"]!
    var y0 = 660.0
    for line in [
      "∂z/∂s = ∂z/∂x·∂x/∂s + ∂z/∂y·∂y/∂s = 2x·1 + (−2y)·eˢ = \(f(sx)) + \(f(sy)) = \(f(dzds))",
      "∂z/∂t = ∂z/∂x·∂x/∂t + ∂z/∂y·∂y/∂t = 2x·(−cos t) + (−2y)·(−sin t) = \(f(tx)) + \(f(ty)) = \(f(dzdt))",
      "closed form: ∂z/∂s = \(f(closedForm.dzds)), ∂z/∂t = \(f(closedForm.dzdt));  |backprop − closed form| = "
        + "\(formatNumber(difference.dzds, digits: 2)), \(formatNumber(difference.dzdt, digits: 2))",
    ] {
      c.text(line, x: 490, y: y0, size: 14, fill: y0 < 700 ? SVGCanvas.Palette.ink : SVGCanvas.Palette.muted)
      y0 += 28
    }
    return c.render(title: "Chain rule: z = x² − y², x = s − sin t, y = eˢ + cos t at s = \(f(s)), t = \(f(t))")
  }
}
