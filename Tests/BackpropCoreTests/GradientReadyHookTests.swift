import BackpropCore
import Testing

// `Tensor.gradientReadyHook`: called once per leaf, when its gradient is complete, in reverse
// order of use (what DataParallel's buckets rely on to start communication during backward).

@Suite struct GradientReadyHookTests {
  @Test func hookSeesTheFinalGradientOncePerLeafInReverseOrderOfUse() {
    // a is used twice (first and last), so its gradient is final only after both paths.
    let a = Tensor<Double>([1, 2], requiresGrad: true)
    let b = Tensor<Double>([3, 4], requiresGrad: true)
    let c = Tensor<Double>([5, 6], requiresGrad: true)
    let unused = Tensor<Double>([7], requiresGrad: true)
    var calls: [(String, [Double])] = []
    for (name, t) in [("a", a), ("b", b), ("c", c), ("unused", unused)] {
      t.gradientReadyHook = { t in calls.append((name, t.grad!.scalars)) }
    }
    let h = (a * b).tanh()           // layer 1
    let y = (h * c + a * a).sum()    // layer 2, and a again
    y.backward()
    #expect(calls.map(\.0).sorted() == ["a", "b", "c"], "\(calls.map(\.0))")
    for (name, seen) in calls {
      let t = ["a": a, "b": b, "c": c][name]!
      #expect(seen == t.grad!.scalars, "\(name): hook saw \(seen), final gradient \(t.grad!.scalars)")
    }
    // c (used only by the last op) is ready before b (used only by the first).
    let order = calls.map(\.0)
    #expect(order.firstIndex(of: "c")! < order.firstIndex(of: "b")!, "\(order)")
  }

  @Test func hookIsNotCalledForLeavesWithoutGradientOrInsideNoGrad() {
    let x = Tensor<Double>([1, 2], requiresGrad: true)
    let data = Tensor<Double>([3, 4])
    var count = 0
    x.gradientReadyHook = { _ in count += 1 }
    data.gradientReadyHook = { _ in count += 100 }
    (x * data).sum().backward()
    #expect(count == 1)
    (x * data).sum().backward()
    #expect(count == 2, "called again on the next pass")
  }
}
