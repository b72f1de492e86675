import ArgumentParser
import Backprop
import Foundation

/// `backprop predict`: run a saved model on rows of features.
struct PredictCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "predict",
    abstract: "Predict with a saved model: classes (with probabilities) or regression values.",
    discussion: """
      --input takes comma-separated numbers, several rows separated by ';', or a CSV file \
      (plain or .gz, header optional). Inputs are raw features, as in the data set; the model \
      file's scaler is applied.
      """)

  @Option(help: "The model file (.safetensors).") var model: String
  @Option(help: "Feature values ('0,3,16,…'; rows separated by ';') or a CSV file path.") var input: String
  @Option(help: "CSV files: a column to ignore (e.g. the label), by 0-based index or header name.")
  var ignoreColumn: String?
  @Option(help: "Activation between Linear layers for files without recorded architecture.") var activation: String = "relu"
  @Option(help: ArgumentHelp("For files that do not record their architecture (PyTorch's): " + architectureHelp, valueName: "network"))
  var arch: String?
  @Option(help: ArgumentHelp("With --arch: one sample's shape, e.g. 1,28,28 (default: the file's, else 1xNxN for N² values per row).",
                             valueName: "c,h,w"))
  var inputShape: String?
  @Option(parsing: .unconditional, help: "How many of the most likely classes to show per row.") var top: Int = 3
  @Flag(help: "Print JSON instead of text.") var json = false

  struct Prediction: Encodable {
    var row: Int
    var predicted_class: Int?
    var label: String?
    var probabilities: [Double]?
    var outputs: [Double]
  }

  func run() throws {
    let saved = try loadSavedModel(model, arch: arch, activation: activation) { try sampleShape() }
    if let inputShape, let recorded = saved.model.inputShape, try sampleShape() != recorded {
      throw CommandError("--input-shape \(inputShape) contradicts \(model), which records \(ModelFile.inputShapeText(recorded)); leave it out")
    }
    let (features, rows) = try readRows(columns: saved.inputSize, savedLabelColumn: saved.metadata[SavedModel.labelColumnKey])
    let output = try saved.outputs(for: features, rows: rows)
    let classifier = saved.isClassifier
    let probabilities = classifier ? output.softmax(alongAxis: 1) : output
    let k = output.shape[1]
    var predictions: [Prediction] = []
    for r in 0..<rows {
      let values = Array(output.scalars[r * k..<(r + 1) * k]).map(Double.init)
      guard classifier else { predictions.append(Prediction(row: r, outputs: values)); continue }
      let p = Array(probabilities.scalars[r * k..<(r + 1) * k]).map(Double.init)
      let best = p.indices.max { p[$0] < p[$1] }!
      predictions.append(Prediction(row: r, predicted_class: best, label: saved.classNames?[safe: best], probabilities: p, outputs: values))
    }
    if json { return try printJSON(predictions) }
    for p in predictions {
      guard let probabilities = p.probabilities, let best = p.predicted_class else {
        print("row \(p.row): \(p.outputs.map { fmt($0, 6) }.joined(separator: ", "))")
        continue
      }
      let ranked = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }.prefix(max(1, top))
      let others = ranked.map { "\(saved.classNames?[safe: $0] ?? String($0)) \(percent(probabilities[$0]))" }.joined(separator: ", ")
      print("row \(p.row): \(p.label ?? String(best))   (\(others))")
    }
  }

  /// `--input-shape`, else one channel of N×N for rows of N² values.
  func sampleShape() throws -> [Int] {
    if let inputShape {
      do { return try ModelFile.parseInputShape(inputShape) } catch {
        throw CommandError("--input-shape: '\(inputShape)' is not a list of positive sizes like 1,28,28")
      }
    }
    let (values, rows) = try readRows(columns: nil)
    let width = values.count / rows, side = Int(Double(width).squareRoot().rounded())
    guard side * side == width else {
      throw CommandError("--arch needs --input-shape: rows of \(width) values are not square images (give e.g. --input-shape 1,\(width))")
    }
    return [1, side, side]
  }

  /// The rows of `--input`, as one flat array, checked against the model's input size. A CSV
  /// file with one column more than the model takes drops the label column the model file
  /// records (its training data's), unless `--ignore-column` names one.
  func readRows(columns: Int?, savedLabelColumn: String? = nil) throws -> ([Float], Int) {
    var rows: [[Float]]
    if FileManager.default.fileExists(atPath: input) {
      let table = try CSVTable(contentsOf: URL(fileURLWithPath: input))
      var drop: Int?
      if let column = ignoreColumn ?? (table.columnCount == (columns ?? -1) + 1 ? savedLabelColumn : nil) {
        drop = try table.columnIndex(Int(column).map(LabelColumn.index) ?? .name(column))
      }
      rows = (0..<table.rowCount).map { r in
        let row = Array(table.values[r * table.columnCount..<(r + 1) * table.columnCount])
        return drop.map { d in row.enumerated().filter { $0.offset != d }.map(\.element) } ?? row
      }
    } else {
      rows = try input.split(separator: ";").map { try parseNumbers(String($0), option: "--input").map(Float.init) }
    }
    // A Double such as 1e39 is finite but becomes infinity as a Float: refuse it here.
    for (r, row) in rows.enumerated() {
      if let c = row.firstIndex(where: { !$0.isFinite }) {
        throw CommandError("--input row \(r), value \(c + 1): out of Float's range (±\(Float.greatestFiniteMagnitude))")
      }
    }
    guard !rows.isEmpty else { throw CommandError("--input holds no rows") }
    if let columns, let bad = rows.firstIndex(where: { $0.count != columns }) {
      throw CommandError("--input row \(bad) has \(rows[bad].count) values; the model expects \(columns)"
        + (FileManager.default.fileExists(atPath: input) ? " (use --ignore-column for a label column)" : ""))
    }
    return (rows.flatMap { $0 }, rows.count)
  }
}

extension Array {
  /// The element at `index`, or `nil` when out of range.
  subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
