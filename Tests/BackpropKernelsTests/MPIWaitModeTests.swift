import Testing

@testable import BackpropKernels

/// The automatic choice between spinning and sleeping while a rank waits for the others.
@Suite struct MPIWaitModeTests {
  @Test func ranksSleepOnlyWhenTheyAndTheOtherWorkNeedMoreCoresThanThereAre() {
    // The load average counts the ranks themselves: 2 busy ranks on 2 idle cores show load 2.
    #expect(!Communicator.waitsBySleeping(localRanks: 2, load: 2.0, cores: 2))
    #expect(!Communicator.waitsBySleeping(localRanks: 1, load: 0.2, cores: 2))
    #expect(!Communicator.waitsBySleeping(localRanks: 2, load: 0.3, cores: 4), "ranks just started: the load has not caught up")
    #expect(Communicator.waitsBySleeping(localRanks: 2, load: 4.5, cores: 2), "two builds beside the ranks")
    #expect(Communicator.waitsBySleeping(localRanks: 4, load: 0, cores: 2), "more ranks than cores")
    #expect(!Communicator.waitsBySleeping(localRanks: 8, load: 9, cores: 16))
  }
}
