import Foundation

// Escaping and number formatting shared by the DOT, SVG and HTML writers.

/// Escapes `&`, `<`, `>`, `"` and `'` so that text is safe in XML/HTML content and attributes
/// (and in Graphviz HTML-like labels, which follow the same rules).
package func escapeXML(_ text: String) -> String {
  var out = ""
  out.reserveCapacity(text.count)
  for ch in text {
    switch ch {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&#39;"
    default:
      // Control characters other than tab/newline are not allowed in XML 1.0 at all.
      if let v = ch.unicodeScalars.first?.value, v < 0x20, ch != "\t", ch != "\n" { out += "?" } else { out.append(ch) }
    }
  }
  return out
}

/// A number for people: up to `digits` significant digits, no trailing noise ("0.5", "1.2e-07").
package func formatNumber(_ x: Double, digits: Int = 4) -> String {
  if x.isNaN { return "nan" }
  if x.isInfinite { return x > 0 ? "∞" : "−∞" }
  if x == 0 { return "0" }
  return String(format: "%.\(digits)g", x)
}

/// A number for SVG coordinates: two decimals at most, no exponent.
package func svgNumber(_ x: Double) -> String {
  guard x.isFinite else { return "0" }
  let r = (x * 100).rounded() / 100
  return r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r)
}

/// A shape as people write it: `[128×256]`, `[5]`, or `scalar` for rank 0.
public func formatShape(_ shape: [Int]) -> String {
  shape.isEmpty ? "scalar" : "[" + shape.map(String.init).joined(separator: "×") + "]"
}

/// A short list of values (`[0.5, −1, 2]`), or its first few followed by `…`.
package func formatValues(_ values: [Double], limit: Int = 6, digits: Int = 4) -> String {
  let shown = values.prefix(limit).map { formatNumber($0, digits: digits) }
  return "[" + shown.joined(separator: ", ") + (values.count > limit ? ", …" : "") + "]"
}

/// Summary statistics of a tensor's elements, for values too large to print.
public struct ValueSummary: Codable, Sendable, Equatable {
  /// Number of elements.
  public var count: Int
  /// Smallest element (0 for an empty tensor).
  public var min: Double
  /// Largest element (0 for an empty tensor).
  public var max: Double
  /// Arithmetic mean (0 for an empty tensor).
  public var mean: Double
  /// Euclidean (Frobenius) norm, √Σx².
  public var norm: Double

  /// Summarises `values` in one pass.
  public init(_ values: [Double]) {
    count = values.count
    var lo = Double.infinity, hi = -Double.infinity, sum = 0.0, squares = 0.0
    for v in values { lo = Swift.min(lo, v); hi = Swift.max(hi, v); sum += v; squares += v * v }
    min = values.isEmpty ? 0 : lo
    max = values.isEmpty ? 0 : hi
    mean = values.isEmpty ? 0 : sum / Double(values.count)
    norm = squares.squareRoot()
  }

  /// `min … max, ‖·‖ = norm` for display.
  public var text: String {
    "\(formatNumber(min, digits: 3)) … \(formatNumber(max, digits: 3)), ‖·‖ = \(formatNumber(norm, digits: 3))"
  }
}

extension Tensor {
  /// The elements widened to `Double`, for writers that do not care about precision.
  var doubleValues: [Double] { scalars.map { Double($0) } }
}
