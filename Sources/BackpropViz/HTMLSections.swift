/// The pieces every HTML report is built from (training report, language-model report), in one
/// place so the reports look alike and a change of markup reaches both.
enum HTMLSections {
  /// `<section id=…><h2>heading</h2>content</section>`; `heading` is escaped, `content` is HTML.
  static func section(_ id: String, _ heading: String, _ content: String) -> String {
    "<section id=\"\(id)\"><h2>\(escapeXML(heading))</h2>\n\(content)\n</section>"
  }

  /// The summary's row of figure cards: each (label, value) pair as a big value over a muted label.
  static func figureCards(_ figures: [(String, String)]) -> String {
    "<div class=\"figures\">"
      + figures.map { "<div class=\"figure\"><b>\(escapeXML($0.1))</b><span class=\"muted\">\(escapeXML($0.0))</span></div>" }.joined()
      + "</div>"
  }
}
