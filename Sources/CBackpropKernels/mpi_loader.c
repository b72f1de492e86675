// Finds Open MPI at run time with dlopen (as blas_loader.c does for BLAS), so the default build
// and `swift test` need no MPI. Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM…) are the
// addresses of global symbols (`ompi_mpi_comm_world`…), resolved here with dlsym.
#define _GNU_SOURCE  // sched_getaffinity, CPU_COUNT
#include "CBackpropKernels.h"
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef void *handle_t;  // Open MPI: every handle is a pointer
typedef int (*init_thread_fn)(int *, char ***, int, int *);
typedef int (*int_out_fn)(int *);
typedef int (*comm_int_fn)(handle_t, int *);
typedef int (*bcast_fn)(void *, int, handle_t, int, handle_t);
typedef int (*allreduce_fn)(const void *, void *, int, handle_t, handle_t, handle_t);
typedef int (*iallreduce_fn)(const void *, void *, int, handle_t, handle_t, handle_t, handle_t *);
typedef int (*test_fn)(handle_t *, int *, void *);
typedef int (*comm_fn)(handle_t);
typedef int (*abort_fn)(handle_t, int);
typedef int (*errh_fn)(handle_t, handle_t);
typedef int (*version_fn)(char *, int *);
typedef int (*finalize_fn)(void);

static struct {
  pthread_once_t once;
  int loaded;
  char problem[256];
  init_thread_fn init_thread;
  int_out_fn initialized, finalized;
  comm_int_fn rank, size;
  bcast_fn bcast;
  allreduce_fn allreduce;
  iallreduce_fn iallreduce;
  test_fn test;
  comm_fn barrier;
  abort_fn abort_;
  errh_fn set_errhandler;
  version_fn version;
  finalize_fn finalize;
  handle_t world, f32, f64, u8, i64, sum, max, errors_return;
  void *library;  // the dlopen handle, for symbols only some features need (bp_mpi_symbol)
} mpi = {.once = PTHREAD_ONCE_INIT};

static void load_mpi(void) {
  // BACKPROP_MPI_LIBRARY names the library to load instead (another Open MPI; tests point it at
  // a missing file to see the messages of a machine without MPI).
  const char *chosen = getenv("BACKPROP_MPI_LIBRARY");
  void *h;
  if (chosen && *chosen) {
    h = dlopen(chosen, RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
      snprintf(mpi.problem, sizeof mpi.problem, "BACKPROP_MPI_LIBRARY=%s cannot be loaded", chosen);
      return;
    }
  } else {
    h = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);  // GLOBAL: Open MPI's plugins need its symbols
    if (!h) h = dlopen("libmpi.so", RTLD_NOW | RTLD_GLOBAL);
  }
  if (!h) {
    void *mpich = dlopen("libmpich.so.12", RTLD_NOW | RTLD_LOCAL);
    snprintf(mpi.problem, sizeof mpi.problem, "%s",
             mpich ? "MPICH found, but Backprop needs Open MPI (apt-get install openmpi-bin libopenmpi3)"
                   : "Open MPI not found (libmpi.so.40; apt-get install openmpi-bin libopenmpi3)");
    return;
  }
  mpi.library = h;
  mpi.world = dlsym(h, "ompi_mpi_comm_world");
  if (!mpi.world) {
    snprintf(mpi.problem, sizeof mpi.problem, "libmpi.so is not Open MPI (no ompi_mpi_comm_world); Backprop needs Open MPI");
    return;
  }
#define SYM(field, name) mpi.field = (__typeof__(mpi.field))dlsym(h, name); if (!mpi.field) { \
    snprintf(mpi.problem, sizeof mpi.problem, "Open MPI lacks %s", name); return; }
  SYM(init_thread, "MPI_Init_thread") SYM(initialized, "MPI_Initialized") SYM(finalized, "MPI_Finalized")
  SYM(rank, "MPI_Comm_rank") SYM(size, "MPI_Comm_size") SYM(bcast, "MPI_Bcast")
  SYM(allreduce, "MPI_Allreduce") SYM(iallreduce, "MPI_Iallreduce") SYM(test, "MPI_Test")
  SYM(barrier, "MPI_Barrier") SYM(abort_, "MPI_Abort") SYM(set_errhandler, "MPI_Comm_set_errhandler")
  SYM(version, "MPI_Get_library_version") SYM(finalize, "MPI_Finalize")
  SYM(f32, "ompi_mpi_float") SYM(f64, "ompi_mpi_double") SYM(u8, "ompi_mpi_byte")
  SYM(i64, "ompi_mpi_long_long_int") SYM(sum, "ompi_mpi_op_sum") SYM(max, "ompi_mpi_op_max")
  SYM(errors_return, "ompi_mpi_errors_return")
#undef SYM
  mpi.loaded = 1;
}

int bp_mpi_available(void) { pthread_once(&mpi.once, load_mpi); return mpi.loaded; }

const char *bp_mpi_problem(void) { pthread_once(&mpi.once, load_mpi); return mpi.problem; }

int bp_mpi_library_version(char *buffer, int capacity) {
  if (!bp_mpi_available() || capacity < 1) return -1;
  char text[8192];  // MPI_MAX_LIBRARY_VERSION_STRING in Open MPI 4.1 is 256; generous
  int length = 0;
  if (mpi.version(text, &length) != 0) return -1;
  if (length >= capacity) length = capacity - 1;
  memcpy(buffer, text, (size_t)length);
  buffer[length] = 0;
  return length;
}

int bp_mpi_init(int *rank, int *size) {
  if (!bp_mpi_available()) return -1;
  int done = 0;
  mpi.initialized(&done);
  if (!done) {
    // Open MPI's TCP transport sends messages up to its eager limit (64 KiB) at once and larger
    // ones in a rendezvous (a round trip first, then 128 KiB pieces). Gradient buckets are
    // 256 KiB by default: with a 4 MiB limit each goes in one message. Only when the user has
    // not chosen (mpirun --mca … sets these variables in every rank's environment).
    if (!getenv("OMPI_MCA_btl_tcp_eager_limit")) {
      setenv("OMPI_MCA_btl_tcp_eager_limit", "4194304", 0);
      setenv("OMPI_MCA_btl_tcp_rndv_eager_limit", "4194304", 0);
      setenv("OMPI_MCA_btl_tcp_max_send_size", "4194304", 0);
    }
    // Non-blocking allreduce (gradient buckets) by ring: reduce-scatter then allgather, so each
    // rank sends and sums half a bucket instead of a whole one (recursive doubling, the default
    // for 2 ranks). 2026-12-06, W2 weak scaling, same invocation: TCP 115,344 against 104,469
    // samples/s, shared memory 117,515 against 109,518. Unless the user chose (overwrite = 0).
    setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1", 0);
    // Shared memory (vader) without its single-copy path: for ranks on one host, the kernel's
    // cross-memory attach (process_vm_readv) pins the peer's pages on every large message, and
    // that work lands on the core the rank computes on. Copying through the shared buffers costs
    // less for gradient buckets of ≤ 1 MiB. 2026-12-06, W2 weak scaling (2 ranks × 128), three
    // alternating rounds: 1.77× against 1.73× of one process (backward 850 against 889 µs a
    // step on rank 0; bench/recorded/2026-12-06-mpi-ab-cma-blocks.log). Unless the user chose.
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
    int provided = 0;
    if (mpi.init_thread(NULL, NULL, 1 /* MPI_THREAD_FUNNELED */, &provided) != 0) return -2;
  }
  // Errors come back as codes (not Open MPI's default abort) so a lost rank gets a message.
  mpi.set_errhandler(mpi.world, mpi.errors_return);
  if (mpi.rank(mpi.world, rank) != 0 || mpi.size(mpi.world, size) != 0) return -3;
  return 0;
}

static handle_t datatype(int type) {
  switch (type) {
  case BP_MPI_FLOAT: return mpi.f32;
  case BP_MPI_DOUBLE: return mpi.f64;
  case BP_MPI_INT64: return mpi.i64;
  default: return mpi.u8;
  }
}

int bp_mpi_broadcast(void *data, int count, int type, int root) {
  return mpi.bcast(data, count, datatype(type), root, mpi.world);
}

int bp_mpi_allreduce(void *data, int count, int type, int op) {
  return mpi.allreduce((const void *)1 /* MPI_IN_PLACE */, data, count, datatype(type),
                       op == BP_MPI_MAX ? mpi.max : mpi.sum, mpi.world);
}

int bp_mpi_iallreduce(void *data, int count, int type, int op, void **request) {
  return mpi.iallreduce((const void *)1 /* MPI_IN_PLACE */, data, count, datatype(type),
                        op == BP_MPI_MAX ? mpi.max : mpi.sum, mpi.world, request);
}

int bp_mpi_test(void **request, int *done) {
  *done = 0;
  return mpi.test(request, done, NULL /* MPI_STATUS_IGNORE */);
}

// How bp_mpi_wait waits. Spinning on MPI_Test answers within a microsecond, but only while
// every rank has a core of its own: a spinning rank that shares a core with its peer (or with
// other jobs) takes the time slice the peer needs to send what it waits for. Sleeping between
// tests gives the core away at the price of a scheduler wake-up per collective.
static struct {
  pthread_once_t once;
  int forced;        // 0: automatic; BP_MPI_WAIT_SPIN or BP_MPI_WAIT_SLEEP from BACKPROP_MPI_WAIT
  int local_ranks;   // ranks of this job on this host (OMPI_COMM_WORLD_LOCAL_SIZE)
  int cores;         // cores this process may run on
  double checked_at; // when the automatic choice was last made (monotonic seconds)
  int automatic;     // its result
} waiting = {.once = PTHREAD_ONCE_INIT};

static double monotonic_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void read_wait_settings(void) {
  const char *mode = getenv("BACKPROP_MPI_WAIT");
  if (mode && strcmp(mode, "spin") == 0) waiting.forced = BP_MPI_WAIT_SPIN;
  else if (mode && strcmp(mode, "sleep") == 0) waiting.forced = BP_MPI_WAIT_SLEEP;
  const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  waiting.local_ranks = local && atoi(local) > 0 ? atoi(local) : 1;
  cpu_set_t set;
  waiting.cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  if (waiting.cores <= 0 || (online > 0 && waiting.cores > online)) waiting.cores = online > 0 ? (int)online : 1;
  waiting.checked_at = -1e9;
}

double bp_mpi_current_load(const char *loadavg) {
  // "0.52 0.58 0.59 3/345 12345": 1-, 5-, 15-minute averages, then runnable/total tasks now.
  double one, five, fifteen;
  int running = 0, total = 0;
  if (sscanf(loadavg, "%lf %lf %lf %d/%d", &one, &five, &fifteen, &running, &total) == 5)
    return one < (double)running ? one : (double)running;
  return 0;
}

int bp_mpi_wait_oversubscribed(int local_ranks, double load, int cores) {
  // The load counts this job's ranks too (each computes or spins): what is left is other
  // work. Oversubscribed when our ranks plus that work need a whole core more than there are:
  // Open MPI's helper threads and short-lived processes keep a quiet host's load a little
  // above the ranks (2026-12-06: 2 ranks on 2 otherwise idle cores read 2.6, slept, and ran
  // W2 at 0.71x of one process where spinning gave 1.24x in the next run).
  double others = load - (double)local_ranks;
  if (others < 0) others = 0;
  return (double)local_ranks + others > (double)cores + 1.0;
}

int bp_mpi_wait_mode(void) {
  pthread_once(&waiting.once, read_wait_settings);
  if (waiting.forced) return waiting.forced;
  double now = monotonic_seconds();
  if (now - waiting.checked_at >= 1.0) {  // the load changes: look again at most once a second
    // The smaller of the 1-minute load average and the tasks runnable right now: the average
    // alone still counts, for a minute, builds that have ended (2026-12-06: a quiet machine at
    // load 2.45 after a build made both ranks sleep, W2 at 0.60x of one process instead of
    // 1.13x); the snapshot alone catches every short-lived process.
    char line[128] = {0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) { if (!fgets(line, sizeof line, f)) line[0] = 0; fclose(f); }
    double load = bp_mpi_current_load(line);
    waiting.automatic = bp_mpi_wait_oversubscribed(waiting.local_ranks, load, waiting.cores)
      ? BP_MPI_WAIT_SLEEP : BP_MPI_WAIT_SPIN;
    waiting.checked_at = now;
  }
  return waiting.automatic;
}

int bp_mpi_wait_is_automatic(void) {
  pthread_once(&waiting.once, read_wait_settings);
  return waiting.forced == 0;
}

int bp_mpi_wait_pause(unsigned long tests, int *mode, double start, double timeout_seconds) {
  // Both modes first poll 64 times without pause (a reply already on its way). spin: then
  // keeps polling for 50 ms, as MPI_Wait does. sleep: yields the core between polls, and from
  // 200 µs on sleeps 50 µs between them. Past 50 ms (a slow or lost rank) both poll every
  // 200 µs so as not to burn a core, until the timeout. The mode is looked up every 64th poll
  // only (it reads the clock): a spinning poll costs a test and a branch.
  if (tests < 64) return 0;
  if ((tests & 63) == 0 || *mode == 0) *mode = bp_mpi_wait_mode();
  if (*mode == BP_MPI_WAIT_SPIN && (tests & 63) != 0) return 0;
  struct timespec long_pause = {0, 200000}, short_pause = {0, 50000};
  double waited = monotonic_seconds() - start;
  if (timeout_seconds > 0 && waited > timeout_seconds) return 1;
  if (waited > 0.05) nanosleep(&long_pause, NULL);
  else if (*mode == BP_MPI_WAIT_SLEEP) waited > 0.0002 ? nanosleep(&short_pause, NULL) : sched_yield();
  return 0;
}

double bp_monotonic_seconds(void) { return monotonic_seconds(); }

int bp_mpi_wait(void **request, double timeout_seconds) {
  double start = monotonic_seconds();
  int mode = 0;
  for (unsigned long tests = 0;; tests++) {
    int done = 0;
    int rc = mpi.test(request, &done, NULL /* MPI_STATUS_IGNORE */);
    if (rc != 0) return rc;
    if (done) return 0;
    if (bp_mpi_wait_pause(tests, &mode, start, timeout_seconds)) return BP_MPI_TIMED_OUT;
  }
}

void *bp_mpi_symbol(const char *name) { return bp_mpi_available() ? dlsym(mpi.library, name) : NULL; }

int bp_mpi_barrier(void) { return mpi.barrier(mpi.world); }

void bp_mpi_abort(int code) { if (mpi.loaded) mpi.abort_(mpi.world, code); }

void bp_mpi_finalize(void) {
  if (!mpi.loaded) return;
  int started = 0, ended = 0;
  mpi.initialized(&started);
  mpi.finalized(&ended);
  if (started && !ended) mpi.finalize();
}
