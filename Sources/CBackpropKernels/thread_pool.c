// A small persistent thread pool for the kernels' parallel loops.
//
// Why not DispatchQueue.concurrentPerform: measured here, waking its workers costs 20–35 µs per
// call, and a GEMM needs two parallel phases per k block; at n ≤ 384 that ate most of the
// second core. These workers spin briefly after each job (so back-to-back phases and GEMMs start
// at once), then sleep on a condition variable, so an idle process burns no CPU.
// Tasks are handed out one index at a time (dynamic scheduling): a busy core costs one chunk.
#define _POSIX_C_SOURCE 200809L  // clock_gettime under strict -std=c11
#include "CBackpropKernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#define MAX_WORKERS 63
#define SPIN_NANOSECONDS 200000L  // how long an idle worker keeps polling before it sleeps

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  atomic_flag busy;             // one caller at a time owns the pool; others run serially
  atomic_int started;           // workers created so far
  atomic_ulong generation;      // bumped for every job
  atomic_ulong closed;          // generation whose caller has stopped admitting workers
  atomic_int sleeping;          // workers blocked in pthread_cond_wait
  atomic_int active;            // workers inside the current job
  // The current job (written by the owner before bumping `generation`):
  bp_task_fn body;
  void *arg;
  long count;
  int helpers;                  // workers with index < helpers take part
  atomic_long next, finished;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .busy = ATOMIC_FLAG_INIT};

// One step of a wait loop: a pause instruction at first, then sched_yield, so that a waiter never
// holds a CPU that the thread it waits for needs (threads may share a core when the machine is
// busy or the scheduler packs them, and a pure spin then stalls until the time slice ends).
static inline void backoff(int *spins) {
  if (++*spins < 128) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  } else {
    sched_yield();
  }
}

static long elapsed_ns(const struct timespec *since) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1000000000L + (now.tv_nsec - since->tv_nsec);
}

// Runs tasks until none are left; returns how many this thread ran.
static long run_tasks(void) {
  long ran = 0;
  for (long i; (i = atomic_fetch_add(&pool.next, 1)) < pool.count; ++ran) {
    pool.body(pool.arg, i);
    atomic_fetch_add(&pool.finished, 1);
  }
  return ran;
}

// Per calling thread: jobs it ran on the pool, and tasks of those jobs that other threads ran
// (tests use them to prove that a "2 threads" run really used a second thread).
static _Thread_local long pooled_jobs, helper_tasks;

void bp_parallel_statistics(long *jobs, long *tasks_by_helpers) {
  *jobs = pooled_jobs;
  *tasks_by_helpers = helper_tasks;
}

// Waits until `generation` moves past `seen`: spin first, then sleep.
static unsigned long wait_for_job(unsigned long seen) {
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (int spins = 0;;) {
    unsigned long g = atomic_load(&pool.generation);
    if (g != seen) return g;
    backoff(&spins);
    if ((spins & 63) == 63 && elapsed_ns(&start) > SPIN_NANOSECONDS) break;
  }
  pthread_mutex_lock(&pool.lock);
  atomic_fetch_add(&pool.sleeping, 1);
  while (atomic_load(&pool.generation) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
  atomic_fetch_sub(&pool.sleeping, 1);
  pthread_mutex_unlock(&pool.lock);
  return atomic_load(&pool.generation);
}

static void *worker_main(void *index_pointer) {
  int index = (int)(long)index_pointer;
  unsigned long seen = 0;
  for (;;) {
    unsigned long g = wait_for_job(seen);
    seen = g;
    atomic_fetch_add(&pool.active, 1);
    // Admission check: once the owner has closed job g it may be tearing it down, so its
    // fields must not be read. (The owner waits for `active` to drop to 0 after closing.)
    if (atomic_load(&pool.closed) != g && atomic_load(&pool.generation) == g && index < pool.helpers)
      run_tasks();
    atomic_fetch_sub(&pool.active, 1);
  }
  return NULL;
}

static void ensure_workers(int wanted) {
  if (wanted > MAX_WORKERS) wanted = MAX_WORKERS;
  if (atomic_load(&pool.started) >= wanted) return;
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  for (int i = atomic_load(&pool.started); i < wanted; ++i) {
    pthread_t thread;
    if (pthread_create(&thread, &attributes, worker_main, (void *)(long)i) != 0) break;
    atomic_fetch_add(&pool.started, 1);
  }
  pthread_attr_destroy(&attributes);
}

void bp_parallel_for(int threads, long count, bp_task_fn body, void *arg) {
  if (count <= 0) return;
  if (threads <= 1 || count == 1 || atomic_flag_test_and_set(&pool.busy)) {
    for (long i = 0; i < count; ++i) body(arg, i);  // serial, or the pool is in use elsewhere
    return;
  }
  ensure_workers(threads - 1);
  pool.body = body;
  pool.arg = arg;
  pool.count = count;
  pool.helpers = threads - 1;
  atomic_store(&pool.next, 0);
  atomic_store(&pool.finished, 0);
  unsigned long g = atomic_fetch_add(&pool.generation, 1) + 1;
  if (atomic_load(&pool.sleeping) > 0) {
    pthread_mutex_lock(&pool.lock);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
  }
  long own = run_tasks();
  int spins = 0;
  while (atomic_load(&pool.finished) < count) backoff(&spins);
  atomic_store(&pool.closed, g);
  while (atomic_load(&pool.active) > 0) backoff(&spins);
  pooled_jobs += 1;
  helper_tasks += count - own;
  atomic_flag_clear(&pool.busy);
}
