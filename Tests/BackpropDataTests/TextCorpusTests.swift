import BackpropCore
import Foundation
import Testing
import _BackpropTestSupport

@testable import BackpropData

@Suite struct TextCorpusTests {
  let words = (0..<40).map { i in ["emma", "olivia", "ava", "mia", "zoe", "ivy", "amy", "eve"][i % 8] + String(repeating: "a", count: i % 3) }
    .joined(separator: "\n")

  @Test func wordsAreSequencesFromBoundaryToBoundary() throws {
    let corpus = try TextCorpus(text: "ab\nba\nabc\n\ncab\nbb\nca\naa\nac\nbc\ncc\n", kind: .words, path: "w.txt", seed: 3)
    #expect(corpus.vocabulary.characters.first == "\u{0}")
    let all = TextCorpus.Part.allCases.flatMap { corpus.sequences[$0]! }
    #expect(all.count + corpus.droppedSequences == 10)
    for s in all { #expect(s.first == 0 && s.last == 0 && !s.dropFirst().dropLast().contains(0)) }
    #expect(corpus.sequences[.validation]!.count + corpus.sequences[.test]!.count + corpus.droppedSequences == 2)
    #expect(corpus.trainingWords.count == corpus.sequences[.train]!.count)
    for w in corpus.trainingWords {
      #expect(corpus.vocabulary.decode(try corpus.vocabulary.encode(w, source: "t")) == w)
    }
  }

  @Test func theSplitDependsOnlyOnTheSeed() throws {
    let a = try TextCorpus(text: words, kind: .words, path: "w", seed: 1)
    let b = try TextCorpus(text: words, kind: .words, path: "w", seed: 1)
    let c = try TextCorpus(text: words, kind: .words, path: "w", seed: 2)
    #expect(a.sequences == b.sequences)
    #expect(a.sequences != c.sequences)
    #expect(a.sequences[.test]!.count == 4 && a.sequences[.validation]!.count == 4)
  }

  @Test func theVocabularyComesFromTrainingAndUnseenCharactersAreDropped() throws {
    // "q" appears once; wherever it lands outside training, that word is dropped.
    let text = words + "\nqq"
    for seed in UInt64(0)..<6 {
      let corpus = try TextCorpus(text: text, kind: .words, path: "w", seed: seed)
      let qInTraining = corpus.trainingWords.contains("qq")
      #expect((corpus.vocabulary.token(for: "q") != nil) == qInTraining)
      #expect(corpus.droppedSequences == (qInTraining ? 0 : 1))
    }
  }

  @Test func wordBatchesPadWithIgnoredTargets() throws {
    let corpus = try TextCorpus(text: "abc\nab\nb\nc\nca\nbca\nac\nba\ncc\nbb", kind: .words, path: "w", seed: 0,
                                validationFraction: 0, testFraction: 0)
    let v = corpus.vocabulary
    let batches = corpus.evaluationBatches(.train, batchSize: 4, contextLength: 3)
    #expect(batches.map(\.batchSize) == [4, 4, 2])
    let rows = batches.flatMap { b in (0..<b.batchSize).map { r in (Array(b.inputs[r * 3..<r * 3 + 3]), Array(b.targets[r * 3..<r * 3 + 3])) } }
    let abc = try #require(rows.first { $0.1.last == v.token(for: "c") && v.decode($0.0) == "ab" })
    // "abc": inputs ⟨.⟩ a b, targets a b c (the end token is cut by the context of 3).
    #expect(abc.0 == [0, v.token(for: "a")!, v.token(for: "b")!])
    #expect(abc.1 == [v.token(for: "a")!, v.token(for: "b")!, v.token(for: "c")!])
    let b = try #require(rows.first { $0.1 == [v.token(for: "b")!, 0, -1] })
    #expect(b.0 == [0, v.token(for: "b")!, 0])
    #expect(corpus.tokenCount(.train) == rows.reduce(0) { $0 + $1.1.filter { $0 >= 0 }.count } + 2)  // "abc", "bca" lose their end
  }

  @Test func textBatchesAreWindowsWithNextCharacterTargets() throws {
    let text = String(repeating: "hello world. ", count: 100)
    let corpus = try TextCorpus(text: text, kind: .text, path: "t", seed: 0)
    #expect(TextCorpus.Part.allCases.allSatisfy { !corpus.sequences[$0]!.isEmpty })
    var g = SeededGenerator(seed: 9)
    let batch = corpus.randomBatch(.train, batchSize: 5, contextLength: 8, using: &g)
    #expect(batch.inputs.count == 40 && batch.targets.count == 40)
    let s = corpus.vocabulary.decode(Array(batch.inputs[0..<8])) + corpus.vocabulary.decode([batch.targets[7]])
    #expect(text.contains(s))
    #expect(Array(batch.inputs[1..<8]) == Array(batch.targets[0..<7]))
    let eval = corpus.evaluationBatches(.test, batchSize: 3, contextLength: 10)
    #expect(eval.reduce(0) { $0 + $1.targets.filter { $0 >= 0 }.count } == corpus.tokenCount(.test))
  }

  @Test func badFilesThrowOneLineNamingTheFile() throws {
    let dir = try TemporaryDirectory(purpose: "corpus")
    defer { dir.cleanup() }
    let empty = try dir.write(Array("\n  \n".utf8), to: "empty.txt")
    #expect(expectDataError { _ = try TextCorpus(contentsOf: empty, kind: .words, seed: 0) }?.description
      == "\(empty.path): the word list is empty")
    let one = try dir.write(Array("x".utf8), to: "one.txt")
    #expect(expectDataError { _ = try TextCorpus(contentsOf: one, kind: .text, seed: 0) }?.description
      == "\(one.path): the text is empty (needs at least 2 characters)")
    let latin1 = try dir.write([0x63, 0x61, 0x66, 0xE9, 0x0A], to: "latin1.txt")
    #expect(expectDataError { _ = try TextCorpus(contentsOf: latin1, kind: .words, seed: 0) }?.description
      == "\(latin1.path): not valid UTF-8 text")
    let few = try dir.write(Array("ab\ncd\n".utf8), to: "few.txt")
    #expect(expectDataError { _ = try TextCorpus(contentsOf: few, kind: .words, seed: 0) }?.description
      == "\(few.path): 2 words are too few for a train/validation/test split")
    let missing = dir.file("none.txt")
    #expect(expectDataError { _ = try TextCorpus(contentsOf: missing, kind: .words, seed: 0) }?.path == missing.path)
    let v = CharacterVocabulary(characters: "ab")
    #expect(expectError(TensorError.self) { _ = try v.encode("abz", source: "--prompt") }?.description
      == "--prompt: character \"z\" is not in the model's vocabulary of 2 characters")
  }

  /// The system word list, when installed (Debian `wamerican`); skipped visibly otherwise.
  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/dict/american-english"),
                 "/usr/share/dict/american-english is absent (apt-get install wamerican)"))
  func readsTheSystemWordList() throws {
    let corpus = try TextCorpus(contentsOf: URL(fileURLWithPath: "/usr/share/dict/american-english"), kind: .words, seed: 0)
    #expect(corpus.sequences[.train]!.count > 50_000)
    #expect(corpus.vocabulary.count > 27)
  }
}
