// The first program of README.md, verbatim (Tests/ReadmeProgramTests checks that the two agree
// and runs this binary).
import Backprop

Random.seed(0)
let x = Tensor<Float>.randomNormal([256, 3])
let y = x.matmul(Tensor([[1.5], [-2.0], [0.5]])) + 0.3
let model = Sequential<Float>(Linear(3, 16), ReLU(), Linear(16, 1))
let optimizer = Adam(model.parameters, learningRate: 0.01, schedule: CosineDecay(totalSteps: 200))
var last: Float = 0
for _ in 0..<200 {
  optimizer.zeroGrad()
  let loss = meanSquaredError(model(x), y)
  loss.backward()
  optimizer.step()                      // also advances the schedule
  last = loss.item
}
print(last)                             // 0.0241 (8.18 at the first step)
print(x[0].shape, x[0..<2, 1].shape, x[.., 2].shape, x[-1].shape)   // [3] [2] [256] [3]
print(model(x[0..<1]))                  // shape, element type and grad function shown
try model.save(to: "/tmp/model.safetensors")
let loaded = try Sequential<Float>(contentsOf: "/tmp/model.safetensors")
print(loaded(x[0..<4]).scalars == model(x[0..<4]).scalars)   // true
let g = gradient(of: { v in (1 - v[0]).squared() + 100 * (v[1] - v[0].squared()).squared() },
                 at: Tensor<Double>([1.5, 2.0]))
print(g)                                // [151, -50]
