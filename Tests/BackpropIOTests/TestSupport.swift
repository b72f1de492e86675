import Foundation
import Testing
import _BackpropTestSupport

@testable import BackpropIO

/// The test target's copied `Fixtures/` directory.
let fixtures: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

/// Runs `body` and expects it to throw a `DataError` (see `expectError`).
@discardableResult
func expectDataError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DataError? {
  expectError(DataError.self, sourceLocation: sourceLocation, body)
}
