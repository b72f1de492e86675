import Testing

@testable import BackpropKernels

/// The automatic choice between spinning and sleeping while a rank waits for the others.
@Suite struct MPIWaitModeTests {
  @Test func ranksSleepOnlyWhenTheyAndTheOtherWorkNeedMoreCoresThanThereAre() {
    // The runnable tasks count the ranks themselves: 2 busy ranks on 2 idle cores show 2.
    #expect(!Communicator.waitsBySleeping(localRanks: 2, load: 2.0, cores: 2))
    #expect(!Communicator.waitsBySleeping(localRanks: 1, load: 0.2, cores: 2))
    #expect(!Communicator.waitsBySleeping(localRanks: 2, load: 0.3, cores: 4), "ranks just started: the load has not caught up")
    #expect(Communicator.waitsBySleeping(localRanks: 2, load: 4.5, cores: 2), "two builds beside the ranks")
    #expect(Communicator.waitsBySleeping(localRanks: 4, load: 0, cores: 2), "more ranks than cores")
    #expect(!Communicator.waitsBySleeping(localRanks: 8, load: 9, cores: 16))
    #expect(!Communicator.waitsBySleeping(localRanks: 2, load: 2.6, cores: 2), "helper threads and short-lived processes on a quiet host")
    #expect(Communicator.waitsBySleeping(localRanks: 2, load: 3.2, cores: 2), "more than a whole core of other work")
  }

  @Test func theLoadIsTheSmallerOfTheMinuteAverageAndTheTasksRunnableNow() {
    // Just after a build: the 1-minute average still says 2.45, but only the 2 ranks run.
    #expect(Communicator.currentLoad(fromLoadavg: "2.45 2.71 2.59 2/345 12345\n") == 2)
    #expect(!Communicator.waitsBySleeping(localRanks: 2, load: Communicator.currentLoad(fromLoadavg: "2.45 2.71 2.59 2/345 12345"), cores: 2))
    // A short-lived process beside the ranks (3 runnable) on a machine that has been quiet.
    #expect(Communicator.currentLoad(fromLoadavg: "2.02 2.10 2.30 3/345 1") == 2.02)
    // Two builds that have been running a while.
    #expect(Communicator.currentLoad(fromLoadavg: "4.60 4.10 3.00 6/400 1") == 4.6)
    #expect(Communicator.currentLoad(fromLoadavg: "") == 0, "unreadable: no other work assumed")
  }
}
