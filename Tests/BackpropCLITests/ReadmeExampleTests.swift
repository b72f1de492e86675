import Backprop
import Testing

/// The README's "Gradients of your own code" example, verbatim, with its stated results checked.
@Suite struct ReadmeExampleTests {
  @Test func gradientsOfYourOwnCode() throws {
    // The study note's example: z = x² − y², x = s − sin t, y = eˢ + cos t.
    let s = Tensor<Double>(0.5, requiresGrad: true)
    let t = Tensor<Double>(1.2, requiresGrad: true)
    let x = try s - t.sin()
    let y = try s.exp() + t.cos()
    let z = try x.squared() - y.squared()
    try z.backward()                       // reverse mode: one pass from z back to s and t
    print(s.grad!.item, t.grad!.item)      // dz/ds = 2x·1 + (−2y)·eˢ, dz/dt = 2x·(−cos t) + (−2y)·(−sin t)

    // Functional transforms on any Swift function of tensors:
    let f = { (v: Tensor<Double>) throws -> Tensor<Double> in try (v * v).sum().sqrt() }
    let v = Tensor<Double>([3, 4])
    let g = try gradient(of: f, at: v)                              // [0.6, 0.8]
    let (_, jv) = try jvp(of: f, at: v, tangent: Tensor([1, 0]))    // forward mode: 0.6
    let J = try jacobian(of: { try $0 * $0 }, at: v)                 // [[6, 0], [0, 8]]
    let H = try hessian(of: f, at: v)                               // 2×2
    let check = try checkGradients(of: { try f($0[0]) }, at: [v])   // central differences in Double
    print(g, jv, J, H, check)

    let (xv, yv) = (0.5 - Double.sin(1.2), Double.exp(0.5) + Double.cos(1.2))
    #expect(Swift.abs(s.grad!.item - (2 * xv - 2 * yv * Double.exp(0.5))) < 1e-12)
    #expect(Swift.abs(t.grad!.item - (2 * xv * -Double.cos(1.2) + 2 * yv * Double.sin(1.2))) < 1e-12)
    #expect(g.scalars.map { ($0 * 1e12).rounded() / 1e12 } == [0.6, 0.8])
    #expect(Swift.abs(jv.item - 0.6) < 1e-15)
    #expect(J.shape == [2, 2] && J.scalars == [6, 0, 0, 8])
    // ∇²‖v‖ = (I − v̂v̂ᵀ)/‖v‖ = [[16, −12], [−12, 9]] / 125.
    let expected = [16.0, -12, -12, 9].map { $0 / 125 }
    #expect(zip(H.scalars, expected).allSatisfy { Swift.abs($0 - $1) < 1e-12 })
    #expect(check.passed)
  }
}
