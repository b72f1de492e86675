import Foundation
import Backprop
import Testing

/// The README's "Gradients of your own code" example, verbatim (checked against README.md), with
/// its stated results checked.
@Suite struct ReadmeExampleTests {
  @Test func theReadmeShowsThisCode() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let me = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
    let lines = me.components(separatedBy: "\n")
    let start = try #require(lines.firstIndex { $0.hasPrefix("    // The study note's example") })
    let end = try #require(lines.firstIndex { $0.hasPrefix("    print(g, jv, J, H, check)") })
    let snippet = lines[start...end].map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : $0 }.joined(separator: "\n")
    #expect(readme.contains(snippet), "README.md's gradients example differs from this test's code")
  }

  @Test func gradientsOfYourOwnCode() throws {
    // The study note's example: z = x² − y², x = s − sin t, y = eˢ + cos t.
    let s = Tensor<Double>(0.5, requiresGrad: true)
    let t = Tensor<Double>(1.2, requiresGrad: true)
    let x = s - t.sin()
    let y = s.exp() + t.cos()
    let z = x.squared() - y.squared()
    z.backward()                           // reverse mode: one pass from z back to s and t
    print(s.grad!.item, t.grad!.item)      // dz/ds = 2x·1 + (−2y)·eˢ, dz/dt = 2x·(−cos t) + (−2y)·(−sin t)

    // Functional transforms on any Swift function of tensors:
    let f = { (v: Tensor<Double>) in (v * v).sum().sqrt() }
    let v = Tensor<Double>([3, 4])
    let g = gradient(of: f, at: v)                              // [0.6, 0.8]
    let (_, jv) = jvp(of: f, at: v, tangent: Tensor([1, 0]))    // forward mode: 0.6
    let J = jacobian(of: { $0 * $0 }, at: v)                    // [[6, 0], [0, 8]]
    let H = hessian(of: f, at: v)                               // 2×2
    let check = checkGradients(of: { f($0[0]) }, at: [v])       // central differences in Double
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
