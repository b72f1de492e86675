import Testing
@testable import BackpropCore

@Test func seedChainRuleByHand() throws {
  let s = Tensor<Double>(0.5, requiresGrad: true), t = Tensor<Double>(1.2, requiresGrad: true)
  let x = try s - t.sin()
  let y = try s.exp() + t.cos()
  let z = try x * x - y * y
  try z.backward()
  let (xv, yv) = (0.5 - Double.sin(1.2), Double.exp(0.5) + Double.cos(1.2))
  #expect(Swift.abs(s.grad!.item - (2 * xv - 2 * yv * Double.exp(0.5))) < 1e-12)
  #expect(Swift.abs(t.grad!.item - (2 * xv * -Double.cos(1.2) + (-2 * yv) * -Double.sin(1.2))) < 1e-12)
}

import RealModule
