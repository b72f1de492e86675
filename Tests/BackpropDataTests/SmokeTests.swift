import Testing
@testable import BackpropData
@Test func smoke() { #expect(1 == 1) }
