// Finds Open MPI at run time with dlopen (as blas_loader.c does for BLAS), so the default build
// and `swift test` need no MPI. Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM…) are the
// addresses of global symbols (`ompi_mpi_comm_world`…), resolved here with dlsym.
#include "CBackpropKernels.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int bp_mpi_wait(void **request, double timeout_seconds) {
  // Spin on MPI_Test for the first 50 ms, as MPI_Wait does: a sleep here costs a scheduler
  // wake-up per collective (milliseconds on a loaded machine, hundreds of them per epoch).
  // Longer waits (a slow or lost rank) poll every 200 µs so as not to burn a core.
  struct timespec start, now, pause = {0, 200000};
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (unsigned long spins = 0;; spins++) {
    int done = 0;
    int rc = mpi.test(request, &done, NULL /* MPI_STATUS_IGNORE */);
    if (rc != 0) return rc;
    if (done) return 0;
    if ((spins & 63) != 0) continue;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double waited = (double)(now.tv_sec - start.tv_sec) + 1e-9 * (double)(now.tv_nsec - start.tv_nsec);
    if (timeout_seconds > 0 && waited > timeout_seconds) return BP_MPI_TIMED_OUT;
    if (waited > 0.05) nanosleep(&pause, NULL);
  }
}

int bp_mpi_barrier(void) { return mpi.barrier(mpi.world); }

void bp_mpi_abort(int code) { if (mpi.loaded) mpi.abort_(mpi.world, code); }

void bp_mpi_finalize(void) {
  if (!mpi.loaded) return;
  int started = 0, ended = 0;
  mpi.initialized(&started);
  mpi.finalized(&ended);
  if (started && !ended) mpi.finalize();
}
