import BackpropCore
import BackpropData
import BackpropNN
import BackpropViz
import Foundation
import Testing

@testable import BackpropTraining

/// `lm train --report`: the HTML has its sections, and the attention maps in it are the
/// model's attention weights.
@Suite struct LanguageModelReportTests {
  static let names = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"]
  let corpus = try! TextCorpus(text: (0..<4).flatMap { i in names.map { $0 + String(repeating: "a", count: i % 2) } }.joined(separator: "\n"),
                               kind: .words, path: "names.txt", seed: 3)

  func trainer() throws -> LanguageModelTrainer {
    var c = LanguageModelConfiguration()
    (c.architecture, c.layers, c.heads, c.embedding, c.contextLength) = ("transformer", 2, 2, 8, 10)
    (c.steps, c.batchSize, c.learningRate, c.evaluateEvery, c.corpusPath) = (6, 4, 0.01, 3, "names.txt")
    return try LanguageModelTrainer(corpus: corpus, configuration: c)
  }

  /// The `data-weight` values of the card `id`, in document order (row by row).
  static func weights(in html: String, card id: String) throws -> [Double] {
    let start = try #require(html.range(of: "id=\"\(id)\""), "no card \(id)")
    let end = html.range(of: "</svg>", range: start.upperBound..<html.endIndex)!.lowerBound
    return html[start.upperBound..<end].components(separatedBy: "data-weight=\"").dropFirst().map {
      Double($0.prefix { $0 != "\"" })!
    }
  }

  @Test func reportHasItsSectionsAndTheModelsAttentionWeights() throws {
    let trainer = try trainer()
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-lm-report-\(UUID().uuidString).html").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let builder = LanguageModelReportBuilder(trainer: trainer, command: "backprop lm train --report r.html", path: path, samplesPerPoint: 3)
    try trainer.train(onRecord: { try builder.record($0, trainer: trainer) })
    #expect(try builder.write(trainer) == "report written to \(path)")
    let html = try String(contentsOfFile: path, encoding: .utf8)
    for id in ["summary", "curves", "samples", "attention", "run"] { #expect(html.contains("<section id=\"\(id)\">"), "section \(id)") }
    #expect(builder.report.points.map(\.step) == [3, 6])
    #expect(builder.report.samples.map(\.texts.count) == [3, 3])
    for text in builder.report.samples.flatMap(\.texts) { #expect(html.contains(text), "sample \(text) shown") }

    let (tokens, labels) = LanguageModelReportBuilder.attentionSequence(corpus, contextLength: 10)
    #expect(labels.first == "·" && tokens.count == labels.count && tokens.count > 3)
    let gpt = try #require(trainer.model as? GPT<Float>)
    let maps = gpt.attentionWeights(tokens)
    #expect(maps.count == 2 && maps.allSatisfy { $0.shape == [2, tokens.count, tokens.count] })
    for layer in 0..<2 {
      for head in 0..<2 {
        let shown = try Self.weights(in: html, card: "attention-l\(layer)-h\(head)")
        let t = tokens.count
        let expected = Array(maps[layer].scalars[head * t * t..<(head + 1) * t * t]).map(Double.init)
        #expect(shown.count == expected.count, "layer \(layer) head \(head)")
        // Printed with 6 decimals.
        #expect(zip(shown, expected).allSatisfy { abs($0 - $1) <= 5e-7 }, "layer \(layer) head \(head)")
      }
    }
  }

  /// Models without attention give a report without the attention section.
  @Test func recurrentModelsHaveNoAttentionSection() throws {
    var c = LanguageModelConfiguration()
    (c.architecture, c.layers, c.embedding, c.contextLength, c.steps, c.batchSize, c.evaluateEvery) = ("lstm", 1, 8, 10, 2, 4, 2)
    let trainer = try LanguageModelTrainer(corpus: corpus, configuration: c)
    let builder = LanguageModelReportBuilder(trainer: trainer, command: "", path: "/dev/null", samplesPerPoint: 2)
    try trainer.train(onRecord: { try builder.record($0, trainer: trainer) })
    let html = builder.report.html()
    #expect(html.contains("<section id=\"samples\">") && !html.contains("<section id=\"attention\">"))
  }
}
