// Finds OpenBLAS or BLIS at run time with dlopen, so nothing BLAS-related is needed at build time.
#include "CBackpropKernels.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

// CBLAS ABI (Debian: 32-bit blasint). Enums: RowMajor 101, NoTrans 111, Trans 112.
typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                               const float *, int, float, float *, int);
typedef void (*cblas_dgemm_fn)(int, int, int, int, int, int, double, const double *, int,
                               const double *, int, double, double *, int);
typedef void (*openblas_threads_fn)(int);
typedef void (*blis_threads_fn)(int64_t);  // BLIS dim_t is 64-bit

typedef struct {
  const char *names[3];
  pthread_once_t once;
  cblas_sgemm_fn sgemm;
  cblas_dgemm_fn dgemm;
  openblas_threads_fn set_threads_openblas;
  blis_threads_fn set_threads_blis;
  atomic_int threads_set;  // last value handed to the library's thread setter
} blas_library;

static blas_library libraries[3] = {
  [BP_BACKEND_OPENBLAS] = {.names = {"libopenblas.so.0", "libopenblas.so"}, .once = PTHREAD_ONCE_INIT},
  [BP_BACKEND_BLIS] = {.names = {"libblis.so.4", "libblis.so"}, .once = PTHREAD_ONCE_INIT},
};

static void load(blas_library *lib) {
  // OpenBLAS's idle worker threads poll (sched_yield) for 2^28 cycles (~0.1 s) after each call
  // before they sleep; between our GEMMs that polling takes a core from our own threads (W6 at
  // 2 threads: 14% slower). 2^20 cycles (~0.3 ms) still covers back-to-back calls. OpenBLAS reads
  // the variable when it loads; one set by the user wins.
  if (lib == &libraries[BP_BACKEND_OPENBLAS]) setenv("OPENBLAS_THREAD_TIMEOUT", "20", 0);
  for (int i = 0; i < 3 && lib->names[i]; ++i) {
    void *handle = dlopen(lib->names[i], RTLD_NOW | RTLD_LOCAL);
    if (!handle) continue;
    cblas_sgemm_fn s = (cblas_sgemm_fn)dlsym(handle, "cblas_sgemm");
    cblas_dgemm_fn d = (cblas_dgemm_fn)dlsym(handle, "cblas_dgemm");
    if (!s || !d) { dlclose(handle); continue; }
    lib->set_threads_openblas = (openblas_threads_fn)dlsym(handle, "openblas_set_num_threads");
    lib->set_threads_blis = (blis_threads_fn)dlsym(handle, "bli_thread_set_num_threads");
    lib->sgemm = s;
    lib->dgemm = d;
    return;  // the handle stays open for the life of the process
  }
}
static void load_openblas(void) { load(&libraries[BP_BACKEND_OPENBLAS]); }
static void load_blis(void) { load(&libraries[BP_BACKEND_BLIS]); }

static blas_library *library(int backend) {
  if (backend == BP_BACKEND_OPENBLAS) {
    pthread_once(&libraries[backend].once, load_openblas);
  } else if (backend == BP_BACKEND_BLIS) {
    pthread_once(&libraries[backend].once, load_blis);
  } else {
    return NULL;
  }
  return libraries[backend].sgemm ? &libraries[backend] : NULL;
}

int bp_blas_available(int backend) { return library(backend) != NULL; }

static void honour_thread_count(blas_library *lib, int threads) {
  if (threads < 1) threads = 1;
  if (atomic_exchange(&lib->threads_set, threads) == threads) return;
  if (lib->set_threads_openblas) lib->set_threads_openblas(threads);
  else if (lib->set_threads_blis) lib->set_threads_blis(threads);
}

// Threads: the library always runs on one thread, and a product big enough to pay for a hand-off
// is split into row or column blocks of C on Backprop's own pool (thread_pool.c). Letting
// OpenBLAS thread itself put a third thread on two cores (its idle worker polls with sched_yield
// while our pool's worker waits for the next elementwise op), and its static 50/50 split stalls
// when the other core is busy: W7 at 2 threads with another process on one core ran 32 against
// 41 transformer steps/s, 161 against 238 LSTM steps/s (2026-12-06, alternated). Each
// element of C is still one library call's dot product over the whole k, so results do not
// depend on the split.
// W7 at 2 threads (2026-12-06, 4 alternations): splitting the LSTM's per-step 64×256×64 products
// too (m·n·k = 2^20) gave 355–372 LSTM steps/s against 316–321 when they stayed whole.
#define SPLIT_MIN_MNK (1L << 19)     // below ≈ 1 MFLOP a product stays on the calling thread
#define SPLIT_MIN_PIECE_MNK (1L << 18)
#define SPLIT_ALIGN 16               // rows/columns per piece: a multiple of the kernels' tiles

typedef struct {
  blas_library *lib;
  int double_precision, transA, transB, split_rows;  // split_rows: blocks of C's rows, else columns
  long m, n, k, pieces;
  double alpha, beta;
  const void *a, *b;
  void *c;
  int lda, ldb, ldc;
} gemm_split;

static void gemm_piece(void *argument, long piece) {
  const gemm_split *s = argument;
  long extent = s->split_rows ? s->m : s->n;
  long blocks = (extent + SPLIT_ALIGN - 1) / SPLIT_ALIGN;
  long first = piece * blocks / s->pieces * SPLIT_ALIGN;
  long last = (piece + 1) * blocks / s->pieces * SPLIT_ALIGN;
  if (last > extent) last = extent;
  if (first >= last) return;
  long size = s->double_precision ? sizeof(double) : sizeof(float);
  const char *a = s->a, *b = s->b;
  char *c = s->c;
  int m = (int)s->m, n = (int)s->n;
  if (s->split_rows) {  // rows first..<last of op(A) and of C
    a += (s->transA ? first : first * s->lda) * size;
    c += first * s->ldc * size;
    m = (int)(last - first);
  } else {              // columns first..<last of op(B) and of C
    b += (s->transB ? first * s->ldb : first) * size;
    c += first * size;
    n = (int)(last - first);
  }
  int ta = s->transA ? 112 : 111, tb = s->transB ? 112 : 111;
  if (s->double_precision)
    s->lib->dgemm(101, ta, tb, m, n, (int)s->k, s->alpha, (const double *)a, s->lda,
                  (const double *)b, s->ldb, s->beta, (double *)c, s->ldc);
  else
    s->lib->sgemm(101, ta, tb, m, n, (int)s->k, (float)s->alpha, (const float *)a, s->lda,
                  (const float *)b, s->ldb, (float)s->beta, (float *)c, s->ldc);
}

// Runs the product on `threads` threads of the pool when it is large enough; returns 0 when the
// caller should make one library call on its own thread instead.
static int split_gemm(gemm_split *s, int threads) {
  if (threads < 2 || s->k <= 0 || s->m * s->n * s->k < SPLIT_MIN_MNK) return 0;
  s->split_rows = s->m >= s->n;
  long extent = s->split_rows ? s->m : s->n;
  long pieces = threads;  // one per thread (two per thread: 1–3 % slower on W7's LSTM)
  while (pieces > 1 && s->m * s->n * s->k / pieces < SPLIT_MIN_PIECE_MNK) --pieces;
  if (pieces > (extent + SPLIT_ALIGN - 1) / SPLIT_ALIGN) pieces = (extent + SPLIT_ALIGN - 1) / SPLIT_ALIGN;
  if (pieces < 2) return 0;
  s->pieces = pieces;
  bp_parallel_for(threads, pieces, gemm_piece, s);
  return 1;
}

void bp_blas_sgemm(int backend, int threads, int transA, int transB, int m, int n, int k,
                   float alpha, const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc) {
  blas_library *lib = library(backend);
  if (!lib) {  // not loadable: the own kernel gives the same result
    bp_sgemm_own(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    return;
  }
  honour_thread_count(lib, 1);
  gemm_split s = {lib, 0, transA, transB, 0, m, n, k, 0, alpha, beta, a, b, c, lda, ldb, ldc};
  if (split_gemm(&s, threads)) return;
  lib->sgemm(101, transA ? 112 : 111, transB ? 112 : 111, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void bp_blas_dgemm(int backend, int threads, int transA, int transB, int m, int n, int k,
                   double alpha, const double *a, int lda, const double *b, int ldb,
                   double beta, double *c, int ldc) {
  blas_library *lib = library(backend);
  if (!lib) {  // not loadable: the own kernel gives the same result
    bp_dgemm_own(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    return;
  }
  honour_thread_count(lib, 1);
  gemm_split s = {lib, 1, transA, transB, 0, m, n, k, 0, alpha, beta, a, b, c, lda, ldb, ldc};
  if (split_gemm(&s, threads)) return;
  lib->dgemm(101, transA ? 112 : 111, transB ? 112 : 111, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
