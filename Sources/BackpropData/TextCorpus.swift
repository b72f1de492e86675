import BackpropCore
import BackpropIO
import Foundation

/// The characters a language model reads and writes, numbered in a fixed order.
///
/// Token 0 is the boundary token (start and end of a word, written `.` by makemore); the
/// characters seen in the training split follow in Unicode order. The same vocabulary is stored
/// in a checkpoint so sampling needs only the file.
public struct CharacterVocabulary: Sendable, Equatable {
  /// The characters, in token order; `characters[0]` is the boundary token's placeholder "\u{0}".
  public let characters: [Character]
  private let index: [Character: Int]

  /// The boundary token (start and end of a sequence).
  public static let boundary = 0

  /// A vocabulary of the boundary token and `characters` (sorted, duplicates removed).
  public init<C: Sequence>(characters: C) where C.Element == Character {
    let sorted = Set(characters).subtracting(["\u{0}"]).sorted { String($0).unicodeScalars.lexicographicallyPrecedes(String($1).unicodeScalars) }
    self.characters = ["\u{0}"] + sorted
    index = Dictionary(uniqueKeysWithValues: self.characters.enumerated().map { ($1, $0) })
  }

  /// The number of tokens, boundary included.
  public var count: Int { characters.count }

  /// The token of `character`, or nil when it is not in the vocabulary.
  public func token(for character: Character) -> Int? { index[character] }

  /// The tokens of `text`; throws naming `source` and the first character outside the vocabulary.
  public func encode(_ text: String, source: String) throws -> [Int] {
    try text.map { c in
      guard let t = index[c] else {
        throw TensorError.invalidArgument(op: source, message:
          "character \(String(reflecting: String(c))) is not in the model's vocabulary of \(count - 1) characters")
      }
      return t
    }
  }

  /// The text of `tokens`; boundary tokens are left out.
  public func decode(_ tokens: [Int]) -> String {
    String(tokens.filter { $0 > 0 && $0 < count }.map { characters[$0] })
  }

  /// The characters as one string (boundary left out), for storing in a checkpoint.
  public var encodedCharacters: String { String(characters.dropFirst()) }
}

/// One mini-batch for a language model: `batchSize × contextLength` input and target tokens,
/// row-major; a target of `LanguageModelBatch.ignored` marks padding that carries no loss.
public struct LanguageModelBatch: Sendable, Equatable {
  /// Target value of padded positions (PyTorch's `ignore_index = -1` in makemore).
  public static let ignored = -1
  /// Input token ids, `batchSize × contextLength`.
  public var inputs: [Int]
  /// The next token at each position, or `ignored`.
  public var targets: [Int]
  /// Rows.
  public var batchSize: Int
  /// Positions per row.
  public var contextLength: Int

  /// The rows `range` of this batch (a rank's share of a global batch).
  public func rows(_ range: Range<Int>) -> LanguageModelBatch {
    require(range.lowerBound >= 0 && range.upperBound <= batchSize, "LanguageModelBatch.rows", "rows \(range) of a batch of \(batchSize)")
    let span = range.lowerBound * contextLength..<range.upperBound * contextLength
    return LanguageModelBatch(inputs: Array(inputs[span]), targets: Array(targets[span]), batchSize: range.count, contextLength: contextLength)
  }
}

/// A text corpus for character-level language models: a UTF-8 text file read as one stream, or
/// a word list where each line is one sequence from the boundary token to the boundary token
/// (the makemore setup).
///
/// The sequences (words, or blocks of text) are split into train/validation/test with a seeded
/// shuffle; the vocabulary is built from the training split, and validation/test sequences with
/// a character outside it are dropped (`droppedSequences` counts them).
public struct TextCorpus: Sendable {
  /// How the file is cut into sequences.
  public enum Kind: String, Sendable { case text, words }
  /// One of the three parts.
  public enum Part: String, Sendable, CaseIterable { case train, validation, test }

  /// The file it was read from.
  public let path: String
  /// Text stream or word list.
  public let kind: Kind
  /// Characters of the training split plus the boundary token.
  public let vocabulary: CharacterVocabulary
  /// Token sequences of each part (words: boundary, characters, boundary; text: blocks).
  public let sequences: [Part: [[Int]]]
  /// Validation and test sequences dropped for characters not seen in training.
  public let droppedSequences: Int
  /// The seed of the split.
  public let seed: UInt64
  /// The shares of sequences that went to validation and test.
  public let validationFraction: Double, testFraction: Double
  /// The raw training words (word lists only), to tell new samples from memorised ones.
  public let trainingWords: Set<String>

  /// Length of the blocks a text file is cut into before splitting.
  public static let textBlockLength = 256

  /// Reads `url` and splits it with `seed`; `validationFraction` and `testFraction` of the
  /// sequences go to those parts.
  ///
  /// - Throws: `DataError` naming the file when it is missing, not UTF-8, empty, or too small
  ///   to give every part a sequence.
  public init(contentsOf url: URL, kind: Kind, seed: UInt64, validationFraction: Double = 0.1, testFraction: Double = 0.1)
    throws
  {
    let path = url.path
    guard FileManager.default.fileExists(atPath: path) else { throw DataError.fileNotFound(path: path, hint: nil) }
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw DataError.ioFailed(path: path, operation: "read", reason: error.localizedDescription)
    }
    guard let text = String(validating: data, as: UTF8.self) else {
      throw DataError.malformed(path: path, reason: "not valid UTF-8 text")
    }
    try self.init(text: text, kind: kind, path: path, seed: seed, validationFraction: validationFraction, testFraction: testFraction)
  }

  /// Splits `text` as if read from a file named `path`.
  public init(text: String, kind: Kind, path: String, seed: UInt64, validationFraction: Double = 0.1, testFraction: Double = 0.1)
    throws
  {
    guard validationFraction >= 0, testFraction >= 0, validationFraction + testFraction < 1 else {
      throw TensorError.invalidArgument(op: "TextCorpus", message: "validation and test fractions must be ≥ 0 and sum to < 1")
    }
    var pieces: [String]
    switch kind {
    case .words:
      pieces = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    case .text:
      let chars = Array(text)
      pieces = stride(from: 0, to: chars.count, by: Self.textBlockLength).map {
        String(chars[$0..<min($0 + Self.textBlockLength, chars.count)])
      }
      // A block of one character gives no (input, target) pair: fold it into the previous one.
      if pieces.count > 1, pieces.last!.count < 2 { let tail = pieces.removeLast(); pieces[pieces.count - 1] += tail }
    }
    guard !pieces.isEmpty, pieces.contains(where: { kind == .words || $0.count >= 2 }) else {
      throw DataError.malformed(path: path, reason: kind == .words ? "the word list is empty" : "the text is empty (needs at least 2 characters)")
    }
    var generator = SeededGenerator(seed: seed)
    shuffle(&pieces, using: &generator)
    let nValidation = Int((validationFraction * Double(pieces.count)).rounded())
    let nTest = Int((testFraction * Double(pieces.count)).rounded())
    guard pieces.count - nValidation - nTest >= 1, validationFraction == 0 || nValidation >= 1, testFraction == 0 || nTest >= 1 else {
      throw DataError.malformed(
        path: path, reason: "\(pieces.count) \(kind == .words ? "words" : "blocks of \(Self.textBlockLength) characters") are too few for a train/validation/test split")
    }
    let parts: [Part: ArraySlice<String>] = [
      .validation: pieces[0..<nValidation], .test: pieces[nValidation..<(nValidation + nTest)],
      .train: pieces[(nValidation + nTest)...],
    ]
    let vocabulary = CharacterVocabulary(characters: parts[.train]!.joined())
    var sequences: [Part: [[Int]]] = [:]
    var dropped = 0
    for (part, strings) in parts {
      sequences[part] = strings.compactMap { s in
        guard let tokens = try? vocabulary.encode(s, source: path) else { dropped += 1; return nil }
        return kind == .words ? [CharacterVocabulary.boundary] + tokens + [CharacterVocabulary.boundary] : tokens
      }
    }
    self.path = path
    self.kind = kind
    self.vocabulary = vocabulary
    self.sequences = sequences
    self.droppedSequences = dropped
    self.seed = seed
    self.validationFraction = validationFraction
    self.testFraction = testFraction
    self.trainingWords = kind == .words ? Set(parts[.train]!) : []
  }

  /// The number of predicted characters in `part` (the denominator of nats per character).
  public func tokenCount(_ part: Part) -> Int { sequences[part]!.reduce(0) { $0 + $1.count - 1 } }

  /// `batchSize` random windows of `contextLength` tokens from `part`.
  ///
  /// Words: a random word, from its start token, cut at `contextLength`, padded with boundary
  /// inputs and ignored targets. Text: a random window inside a random block.
  public func randomBatch(_ part: Part, batchSize: Int, contextLength: Int, using generator: inout SeededGenerator)
    -> LanguageModelBatch
  {
    require(batchSize > 0 && contextLength > 0, "TextCorpus.randomBatch", "batch size \(batchSize) and context \(contextLength) must be positive")
    let pool = sequences[part]!
    require(!pool.isEmpty, "TextCorpus.randomBatch", "the \(part.rawValue) part is empty")
    var batch = LanguageModelBatch(inputs: [], targets: [], batchSize: batchSize, contextLength: contextLength)
    for _ in 0..<batchSize {
      let s = pool[Int.random(in: 0..<pool.count, using: &generator)]
      let start = kind == .words || s.count - 1 <= contextLength ? 0 : Int.random(in: 0...(s.count - 1 - contextLength), using: &generator)
      append(s, from: start, to: &batch)
    }
    return batch
  }

  /// Every window of `part` once, in order, in batches of `batchSize` rows (the last may be
  /// smaller): words one per row, text blocks cut into consecutive windows.
  public func evaluationBatches(_ part: Part, batchSize: Int, contextLength: Int) -> [LanguageModelBatch] {
    require(batchSize > 0 && contextLength > 0, "TextCorpus.evaluationBatches", "batch size \(batchSize) and context \(contextLength) must be positive")
    var rows: [(sequence: [Int], start: Int)] = []
    for s in sequences[part]! {
      if kind == .words { rows.append((s, 0)); continue }
      for start in stride(from: 0, to: s.count - 1, by: contextLength) { rows.append((s, start)) }
    }
    return stride(from: 0, to: rows.count, by: batchSize).map { first in
      let chunk = rows[first..<min(first + batchSize, rows.count)]
      var batch = LanguageModelBatch(inputs: [], targets: [], batchSize: chunk.count, contextLength: contextLength)
      for row in chunk { append(row.sequence, from: row.start, to: &batch) }
      return batch
    }
  }

  private func append(_ s: [Int], from start: Int, to batch: inout LanguageModelBatch) {
    let t = batch.contextLength
    for i in 0..<t {
      let p = start + i
      batch.inputs.append(p < s.count - 1 ? s[p] : CharacterVocabulary.boundary)
      batch.targets.append(p < s.count - 1 ? s[p + 1] : LanguageModelBatch.ignored)
    }
  }
}
