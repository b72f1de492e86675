/// Random changes to training images that keep their class: shifts by a few pixels (zero fill,
/// like torchvision's `RandomCrop(size, padding: maxShift)`) and horizontal flips (like
/// `RandomHorizontalFlip()`), applied to a batch's rows of shape `[channels, height, width]`.
///
/// Each sample's draws depend only on `seed`, the epoch and the sample's index in the data set,
/// so a run resumed from a checkpoint sees exactly the images the uninterrupted run saw, with no
/// generator state saved, and a global batch split between ranks (`--distributed`) is augmented
/// exactly as it is in one process.
///
/// ```swift
/// let augment = try Augmentation(parsing: "shift,flip")
/// augment.apply(to: &batch.features, sampleShape: [1, 28, 28], seed: 0, epoch: 3, samples: indices)
/// ```
public struct Augmentation: Codable, Sendable, Equatable {
  /// The largest shift, in pixels, along each axis (0: no shifts); each sample's shift is drawn
  /// uniformly from `-maxShift...maxShift` for rows and columns independently.
  public var maxShift: Int
  /// Whether each sample is mirrored left–right with probability ½.
  public var horizontalFlip: Bool

  /// An augmentation of shifts up to `maxShift` pixels and, optionally, horizontal flips.
  public init(maxShift: Int = 0, horizontalFlip: Bool = false) {
    (self.maxShift, self.horizontalFlip) = (maxShift, horizontalFlip)
  }

  /// The names `Augmentation(parsing:)` accepts.
  public static let names = ["shift", "flip"]
  /// The shift that `shift` stands for (Fashion-MNIST's usual 2 pixels).
  public static let defaultShift = 2

  /// Parses a comma-separated list: `shift` (up to 2 pixels), `shift=N`, `flip`.
  /// - Throws: `TensorError.invalidArgument` naming the unknown item.
  public init(parsing text: String) throws {
    self.init()
    for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
      if item == "flip" {
        horizontalFlip = true
      } else if item == "shift" {
        maxShift = Self.defaultShift
      } else if item.hasPrefix("shift="), let n = Int(item.dropFirst(6)), (1...64).contains(n) {
        maxShift = n
      } else {
        throw TensorError.invalidArgument(op: "augmentation", message: "unknown '\(item)' (use shift, shift=N with N in 1…64, flip)")
      }
    }
    guard !isIdentity else { throw TensorError.invalidArgument(op: "augmentation", message: "'\(text)' names nothing (use shift, flip)") }
  }

  /// Whether it changes nothing.
  public var isIdentity: Bool { maxShift == 0 && !horizontalFlip }

  /// The text form (`shift=2,flip`), as parsed back by `init(parsing:)`.
  public var description: String {
    ((maxShift > 0 ? ["shift=\(maxShift)"] : []) + (horizontalFlip ? ["flip"] : [])).joined(separator: ",")
  }

  /// Throws unless samples of `sampleShape` are images `[channels, height, width]`.
  /// - Throws: `TensorError.invalidArgument` naming the shape.
  public func check(sampleShape: [Int]) throws {
    guard sampleShape.count == 3 else {
      throw TensorError.invalidArgument(
        op: "augmentation", message: "\(description) needs images of shape [channels, height, width]; the samples have shape \(sampleShape)")
    }
  }

  /// Shifts and flips each row of `features` (rows of `sampleShape` = `[channels, height, width]`)
  /// in place; row `r` is sample `samples[r]` of the data set, and its draws come from a
  /// generator seeded by `seed`, `epoch` and that index alone.
  public func apply(to features: inout [Float], sampleShape: [Int], seed: UInt64, epoch: Int, samples: [Int]) {
    require(sampleShape.count == 3, "augmentation", "needs [channels, height, width] samples, got \(sampleShape)")
    let (c, h, w) = (sampleShape[0], sampleShape[1], sampleShape[2])
    let size = c * h * w
    require(size > 0 && features.count == samples.count * size, "augmentation",
            "\(features.count) values are not \(samples.count) rows of \(sampleShape)")
    // splitmix-style mixing (the generator's seeding mixes again): nearby (epoch, sample) pairs
    // get unrelated streams.
    let epochSeed = seed ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15) ^ 0xA076_1D64_78BD_642F
    var source = [Float](repeating: 0, count: size)
    for (row, sample) in samples.enumerated() {
      var generator = SeededGenerator(seed: epochSeed ^ (UInt64(sample) &* 0xBF58_476D_1CE4_E5B9))
      // Our own draws rather than Int.random(in:), whose algorithm the standard library may change.
      let span = UInt64(2 * maxShift + 1)
      let dy = Int(generator.next() % span) - maxShift, dx = Int(generator.next() % span) - maxShift
      let flip = horizontalFlip && generator.next() >> 63 == 1
      guard dy != 0 || dx != 0 || flip else { continue }
      let base = row * size
      for i in 0..<size { source[i] = features[base + i] }
      // Output pixel (y, x) reads source (y − dy, x' − dx), x' = x or its mirror; outside is 0.
      for ch in 0..<c {
        for y in 0..<h {
          let sy = y - dy
          for x in 0..<w {
            let mx = flip ? w - 1 - x : x
            let sx = mx - dx
            features[base + (ch * h + y) * w + x] = (0..<h).contains(sy) && (0..<w).contains(sx) ? source[(ch * h + sy) * w + sx] : 0
          }
        }
      }
    }
  }
}
