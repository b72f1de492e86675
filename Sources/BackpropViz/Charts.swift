import Foundation

// SVG charts for the training report: line charts (linear or log y), histograms and the
// confusion-matrix heatmap. Each returns an inline `<svg>` element.

/// One line of a line chart.
struct ChartSeries {
  var name: String
  var points: [(x: Double, y: Double)]
  var color: String
  var dashed = false
}

enum Charts {
  /// A line chart with axes, "nice" ticks, markers and a legend. `logScale` plots log₁₀ y
  /// (non-positive values are dropped); `yRange` fixes the y axis (e.g. 0…1 for accuracy).
  static func line(_ series: [ChartSeries], title: String, xLabel: String, yLabel: String, logScale: Bool = false,
                   yRange: ClosedRange<Double>? = nil, width: Double = 560, height: Double = 320) -> String {
    var c = SVGCanvas(width: width, height: height)
    let legendRows = (series.count + 2) / 3
    let (left, right, top, bottom) = (64.0, 16.0, 34.0, 46.0 + Double(legendRows) * 18)
    let plotW = width - left - right, plotH = height - top - bottom
    let transform = { (y: Double) -> Double? in logScale ? (y > 0 && y.isFinite ? log10(y) : nil) : (y.isFinite ? y : nil) }
    let xs = series.flatMap { $0.points.map(\.x) }
    let ys = series.flatMap { $0.points.compactMap { transform($0.y) } }
    c.text(title, x: width / 2, y: 20, size: 14, bold: true)
    guard let xMin = xs.min(), let xMax = xs.max(), var yMin = ys.min(), var yMax = ys.max() else {
      c.text("no data", x: width / 2, y: height / 2, size: 13, fill: SVGCanvas.Palette.muted)
      return c.renderInline(title: title)
    }
    if let yRange { (yMin, yMax) = (yRange.lowerBound, yRange.upperBound) }
    if logScale { (yMin, yMax) = (yMin.rounded(.down), Swift.max(yMax.rounded(.up), yMin.rounded(.down) + 1)) }
    if yMax - yMin < 1e-12 { (yMin, yMax) = (yMin - 0.5, yMax + 0.5) }
    let ticks = logScale ? Array(stride(from: yMin, through: yMax, by: Swift.max(1, ((yMax - yMin) / 6).rounded(.up))))
      : niceTicks(yMin, yMax)
    if !logScale && yRange == nil, let lo = ticks.first, let hi = ticks.last { (yMin, yMax) = (Swift.min(yMin, lo), Swift.max(yMax, hi)) }
    let xSpan = Swift.max(xMax - xMin, 1)
    let px = { (x: Double) in left + (x - xMin) / xSpan * plotW }
    let py = { (y: Double) in top + plotH - (y - yMin) / (yMax - yMin) * plotH }
    for t in ticks where t >= yMin - 1e-9 && t <= yMax + 1e-9 {
      c.line(x1: left, y1: py(t), x2: left + plotW, y2: py(t), stroke: SVGCanvas.Palette.grid)
      c.text(logScale ? "1e\(Int(t))" : formatNumber(t, digits: 3), x: left - 6, y: py(t) + 4, size: 10.5, anchor: "end",
             fill: SVGCanvas.Palette.muted)
    }
    for t in niceTicks(xMin, xMax, maxTicks: 8) where t >= xMin && t <= xMax && t == t.rounded() {
      c.line(x1: px(t), y1: top + plotH, x2: px(t), y2: top + plotH + 4, stroke: SVGCanvas.Palette.muted)
      c.text(formatNumber(t), x: px(t), y: top + plotH + 16, size: 10.5, fill: SVGCanvas.Palette.muted)
    }
    c.line(x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, stroke: SVGCanvas.Palette.ink)
    c.line(x1: left, y1: top, x2: left, y2: top + plotH, stroke: SVGCanvas.Palette.ink)
    c.text(xLabel, x: left + plotW / 2, y: top + plotH + 32, size: 11.5)
    c.text(yLabel + (logScale ? " (log scale)" : ""), x: 14, y: top + plotH / 2, size: 11.5, rotate: -90)
    for s in series {
      let pts = s.points.compactMap { p in transform(p.y).map { (px(p.x), py($0)) } }
      c.polyline(pts, stroke: s.color, width: 2, dashed: s.dashed)
      if pts.count <= 60 {
        for (p, raw) in zip(pts, s.points.filter { transform($0.y) != nil }) {
          c.circle(cx: p.0, cy: p.1, r: 2.6, fill: s.color, title: "\(s.name), epoch \(formatNumber(raw.x)): \(formatNumber(raw.y, digits: 5))")
        }
      }
    }
    for (i, s) in series.enumerated() {
      let lx = left + Double(i % 3) * (plotW / 3), ly = top + plotH + 48 + Double(i / 3) * 18
      c.line(x1: lx, y1: ly - 4, x2: lx + 22, y2: ly - 4, stroke: s.color, width: 2.5, dashed: s.dashed)
      c.text(s.name, x: lx + 28, y: ly, size: 11, anchor: "start")
    }
    return c.renderInline(title: title)
  }

  /// About `maxTicks` round numbers (1, 2, 5 × 10ᵏ steps) covering lo…hi.
  static func niceTicks(_ lo: Double, _ hi: Double, maxTicks: Int = 6) -> [Double] {
    guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
    let rough = (hi - lo) / Double(maxTicks)
    let magnitude = pow(10, (log10(rough)).rounded(.down))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? rough
    var t = (lo / step).rounded(.down) * step
    var ticks: [Double] = []
    while t <= hi + step * 0.5 && ticks.count < 50 { ticks.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
    return ticks
  }

  /// A histogram: bars over equal bins, with the range and mean ± std in the caption.
  static func histogram(_ h: TrainingReport.Histogram, width: Double = 270, height: Double = 160) -> String {
    var c = SVGCanvas(width: width, height: height)
    let (left, top, plotW, plotH) = (10.0, 26.0, width - 20, height - 58)
    c.text(h.name, x: width / 2, y: 16, size: 12.5, bold: true)
    let peak = Double(h.counts.max() ?? 1)
    let barW = plotW / Double(Swift.max(h.counts.count, 1))
    for (i, count) in h.counts.enumerated() {
      let bh = peak > 0 ? Double(count) / peak * plotH : 0
      let lo = h.lower + (h.upper - h.lower) * Double(i) / Double(h.counts.count)
      c.rect(x: left + Double(i) * barW + 0.5, y: top + plotH - bh, width: barW - 1, height: bh, fill: SVGCanvas.Palette.series[0],
             title: "[\(formatNumber(lo, digits: 3)), \(formatNumber(lo + (h.upper - h.lower) / Double(h.counts.count), digits: 3))): \(count)")
    }
    c.line(x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, stroke: SVGCanvas.Palette.ink)
    c.text(formatNumber(h.lower, digits: 3), x: left, y: top + plotH + 14, size: 10, anchor: "start", fill: SVGCanvas.Palette.muted)
    c.text(formatNumber(h.upper, digits: 3), x: left + plotW, y: top + plotH + 14, size: 10, anchor: "end", fill: SVGCanvas.Palette.muted)
    c.text("mean \(formatNumber(h.mean, digits: 3)), std \(formatNumber(h.standardDeviation, digits: 3))",
           x: width / 2, y: top + plotH + 28, size: 10.5)
    return c.renderInline(title: "Histogram of \(h.name)")
  }

  /// The confusion matrix as a heatmap: rows are true classes, columns predictions; cells are
  /// shaded by the fraction of their row (blue on the diagonal, red off it) and show counts.
  static func confusion(_ matrix: [[Int]], classNames: [String]) -> String {
    let k = matrix.count
    let cell = Swift.max(18, Swift.min(34, 400 / Double(Swift.max(k, 1))))
    let (left, top) = (110.0, 64.0)
    var c = SVGCanvas(width: left + cell * Double(k) + 30, height: top + cell * Double(k) + 30)
    let name = { (i: Int) in i < classNames.count ? classNames[i] : String(i) }
    c.text("predicted class →", x: left + cell * Double(k) / 2, y: 18, size: 12, bold: true)
    c.text("true class ↓", x: 18, y: top + cell * Double(k) / 2, size: 12, bold: true, rotate: -90)
    for j in 0..<k {
      c.text(name(j), x: left + (Double(j) + 0.5) * cell, y: top - 10, size: 10.5, rotate: k > 12 ? -45 : nil)
    }
    for i in 0..<k {
      let total = Double(Swift.max(matrix[i].reduce(0, +), 1))
      c.text(name(i), x: left - 8, y: top + (Double(i) + 0.5) * cell + 4, size: 10.5, anchor: "end")
      for j in 0..<k {
        let v = matrix[i][j]
        let fraction = Double(v) / total
        let fill = v == 0 ? "#ffffff" : heatColor(i == j ? fraction : -fraction, scale: i == j ? 1 : 0.5)
        c.rect(x: left + Double(j) * cell, y: top + Double(i) * cell, width: cell, height: cell, fill: fill, stroke: "#dddddd",
               strokeWidth: 0.5, title: "true \(name(i)), predicted \(name(j)): \(v) (\(formatNumber(fraction * 100, digits: 3))% of row)")
        if cell >= 22 && v > 0 {
          c.text(String(v), x: left + (Double(j) + 0.5) * cell, y: top + (Double(i) + 0.5) * cell + 4, size: cell >= 34 ? 11 : 9,
                 fill: fraction > 0.6 ? "#ffffff" : SVGCanvas.Palette.ink)
        }
      }
    }
    return c.renderInline(title: "Confusion matrix")
  }
}
