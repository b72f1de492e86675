import BackpropNN

// What people look at to understand a convolutional network: the first layer's filters drawn
// as images, and the feature maps that one test image produces at each convolution layer.

extension TrainingReport {
  /// A titled grid of small grey images: a convolution layer's filters or its feature maps.
  public struct ImageGrid: Codable, Sendable, Equatable {
    /// One image, with grey values in [0, 1] row by row.
    public struct Image: Codable, Sendable, Equatable {
      /// Shown under the image, e.g. `"filter 3"` or `"channel 12"`.
      public var caption: String
      public var width: Int
      public var height: Int
      /// `width × height` grey values in [0, 1].
      public var pixels: [Float]

      public init(caption: String, width: Int, height: Int, pixels: [Float]) {
        (self.caption, self.width, self.height, self.pixels) = (caption, width, height, pixels)
      }
    }

    /// The grid's heading, e.g. `"0 Conv2d(1 → 32, 3×3): 32 × 28 × 28"`.
    public var title: String
    /// How the grey values were scaled, shown under the heading.
    public var note: String
    public var images: [Image]

    public init(title: String, note: String, images: [Image]) {
      (self.title, self.note, self.images) = (title, note, images)
    }
  }

  /// The first convolution layer's filters as images, one per (output channel, input channel)
  /// pair up to `limit`, on one grey scale for the whole layer: mid-grey is 0, white the layer's
  /// largest positive weight, black its most negative (`0.5 + 0.5·w / max|w|`), so filters can be
  /// compared with each other. `nil` when the model has no `Conv2d`.
  public static func firstLayerFilters<Scalar: TensorScalar>(of model: Sequential<Scalar>, limit: Int = 64) -> ImageGrid? {
    guard let (index, conv) = model.layers.enumerated().lazy.compactMap({ i, l in (l as? Conv2d<Scalar>).map { (i, $0) } }).first
    else { return nil }
    let w = conv.weight.scalars.map { Double($0) }
    let (outputs, inputs, kh, kw) = (conv.weight.shape[0], conv.weight.shape[1], conv.weight.shape[2], conv.weight.shape[3])
    let largest = w.reduce(0) { Swift.max($0, Swift.abs($1)) }
    let scale = largest > 0 ? 0.5 / largest : 0
    var images: [ImageGrid.Image] = []
    outer: for o in 0..<outputs {
      for i in 0..<inputs {
        guard images.count < limit else { break outer }
        let start = ((o * inputs) + i) * kh * kw
        let pixels = w[start..<(start + kh * kw)].map { Float(0.5 + $0 * scale) }
        images.append(.init(caption: inputs == 1 ? "filter \(o)" : "filter \(o), in \(i)", width: kw, height: kh, pixels: pixels))
      }
    }
    return ImageGrid(title: "\(index) \(conv.summaryName): \(outputs) filters of \(inputs) × \(kh) × \(kw)",
                     note: "One grey scale for the layer: mid-grey = 0, white = largest weight (\(formatNumber(largest))), black = −\(formatNumber(largest)).",
                     images: images)
  }

  /// The feature maps one input produces at each `Conv2d` of `model` (evaluation mode, no
  /// graph recorded): up to `channelLimit` channels per layer, each stretched from its own
  /// minimum (black) to maximum (white). Empty when the model has no `Conv2d`.
  /// - Parameter input: one sample shaped as the model takes it, batch axis included (`[1, 1, 28, 28]`).
  public static func featureMaps<Scalar: TensorScalar>(of model: Sequential<Scalar>, input: Tensor<Scalar>,
                                                       channelLimit: Int = 16) -> [ImageGrid] {
    guard model.layers.contains(where: { $0 is Conv2d<Scalar> }) else { return [] }
    let wasTraining = model.isTraining
    model.eval()
    defer { model.isTraining = wasTraining }
    var grids: [ImageGrid] = []
    withoutGradient {
      var x = input
      for (index, layer) in model.layers.enumerated() {
        x = layer(x)
        guard layer is Conv2d<Scalar>, x.rank == 4 else { continue }
        let (channels, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        let values = x.scalars
        let images = (0..<Swift.min(channels, channelLimit)).map { c -> ImageGrid.Image in
          let plane = values[(c * h * w)..<((c + 1) * h * w)].map { Float($0) }
          let lo = plane.min() ?? 0, hi = plane.max() ?? 0
          let pixels = hi > lo ? plane.map { ($0 - lo) / (hi - lo) } : plane.map { _ in 0 }
          return .init(caption: "channel \(c)", width: w, height: h, pixels: pixels)
        }
        grids.append(ImageGrid(title: "\(index) \(layer.summaryName): \(channels) × \(h) × \(w)",
                               note: "Channels \(images.count < channels ? "0–\(images.count - 1) of \(channels)" : "0–\(channels - 1)"), "
                                 + "each from its own minimum (black) to maximum (white).",
                               images: images))
      }
    }
    return grids
  }

  /// The HTML of an image grid: each image scaled up with square pixels, captioned.
  func imageGridHTML(_ grid: ImageGrid, size: Int) -> String {
    let cells = grid.images.map { image -> String in
      let uri = PNG.dataURI(width: image.width, height: image.height, pixels: image.pixels.map { UInt8((Swift.min(Swift.max($0, 0), 1) * 255).rounded()) })
      return "<div class=\"digit card\"><img style=\"width:\(size)px;height:\(size * image.height / Swift.max(image.width, 1))px\" "
        + "alt=\"\(escapeXML(image.caption))\" src=\"\(uri)\">\(escapeXML(image.caption))</div>"
    }
    return "<h3>\(escapeXML(grid.title))</h3><p class=\"muted\">\(escapeXML(grid.note))</p><div class=\"grid\">" + cells.joined() + "</div>"
  }
}
