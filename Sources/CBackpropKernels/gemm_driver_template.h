// The packed GEMM loop nest (Goto/BLIS order), instantiated by gemm_driver.c for float and double.
// Expects: T, MR, NR, KC, MC, NC, FN(name) (adds a prefix), UKERNEL_FN (the micro-kernel type).
// Defines FN(gemm)(..., threads, kernel), for a micro-kernel of that MR×NR tile.
//
//   for jc in n by NC:            B block  KC×NC  packed once per (jc, pc), shared by all threads
//     for pc in k by KC:
//       parallel over (row block, column block) chunks of C:
//         for each MC rows of the chunk: pack that A block (≤ MC × KC) into this thread's buffer,
//           then for jr in columns by NR: for ir in rows by MR: micro-kernel

typedef struct {
  int transA, transB;
  long m, n, k, lda, ldb, ldc;
  T alpha, beta;
  const T *a, *b;
  T *c;
  UKERNEL_FN kernel;
  // The current (jc, pc) step:
  long jc, nc, pc, kc;
  T step_beta;  // beta on the first k block, 1 afterwards
  T *packed_b;
  long pack_tasks, pack_columns;   // packing of B split into tasks of pack_columns columns
  long row_chunks, column_chunks;  // C split into row_chunks × column_chunks chunks
} FN(job);

// A block (mc×kc of op(A), starting at `a`) → MR-row panels, each kc steps of MR values, zero-padded.
static void FN(pack_a)(int transA, const T *a, long lda, long mc, long kc, T *dst) {
  for (long i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
    long mr = mc - i0 < MR ? mc - i0 : MR;
    if (transA) {  // op(A)(i, p) = a[p·lda + i]: each k step is contiguous
      for (long p = 0; p < kc; ++p) {
        const T *src = a + p * lda + i0;
        for (long i = 0; i < mr; ++i) dst[p * MR + i] = src[i];
        for (long i = mr; i < MR; ++i) dst[p * MR + i] = 0;
      }
    } else {  // op(A)(i, p) = a[i·lda + p]: MR row streams
      for (long i = 0; i < MR; ++i) {
        const T *row = a + (i0 + i) * lda;
        if (i < mr) for (long p = 0; p < kc; ++p) dst[p * MR + i] = row[p];
        else for (long p = 0; p < kc; ++p) dst[p * MR + i] = 0;
      }
    }
  }
}

// B block (kc×nc of op(B), starting at `b`) → NR-column panels, each kc rows of NR values, zero-padded.
static void FN(pack_b)(int transB, const T *b, long ldb, long kc, long nc, T *dst) {
  for (long j0 = 0; j0 < nc; j0 += NR, dst += NR * kc) {
    long nr = nc - j0 < NR ? nc - j0 : NR;
    if (transB) {  // op(B)(p, j) = b[j·ldb + p]: read each column of op(B) contiguously
      for (long j = 0; j < NR; ++j) {
        const T *col = b + (j0 + j) * ldb;
        if (j < nr) for (long p = 0; p < kc; ++p) dst[p * NR + j] = col[p];
        else for (long p = 0; p < kc; ++p) dst[p * NR + j] = 0;
      }
    } else {  // op(B)(p, j) = b[p·ldb + j]: rows are contiguous
      for (long p = 0; p < kc; ++p) {
        const T *src = b + p * ldb + j0;
        for (long j = 0; j < nr; ++j) dst[p * NR + j] = src[j];
        for (long j = nr; j < NR; ++j) dst[p * NR + j] = 0;
      }
    }
  }
}

// C = beta·C (used when k == 0 or alpha == 0); beta == 0 writes zeros without reading C.
static void FN(scale_c)(long m, long n, T beta, T *c, long ldc) {
  if (beta == 1) return;
  for (long i = 0; i < m; ++i, c += ldc)
    for (long j = 0; j < n; ++j) c[j] = beta == 0 ? 0 : beta * c[j];
}

// Rows [i0, i0+mc) × columns [j0, j0+ncols) of the current C block (j0 relative to jc, a multiple of NR).
static void FN(macro_kernel)(const FN(job) *job, long i0, long mc, long j0, long ncols) {
  const long kc = job->kc;
  T *packed_a = bp_scratch(0, sizeof(T) * (size_t)(MC + MR) * (size_t)kc);
  for (long ic = i0; ic < i0 + mc; ic += MC) {
    long mcur = i0 + mc - ic < MC ? i0 + mc - ic : MC;
    const T *a = job->transA ? job->a + job->pc * job->lda + ic : job->a + ic * job->lda + job->pc;
    FN(pack_a)(job->transA, a, job->lda, mcur, kc, packed_a);
    for (long jr = j0; jr < j0 + ncols; jr += NR) {
      int nr = (int)(j0 + ncols - jr < NR ? j0 + ncols - jr : NR);
      const T *b = job->packed_b + jr * kc;  // panel jr/NR starts at (jr/NR)·NR·kc
      T *c = job->c + ic * job->ldc + job->jc + jr;
      for (long ir = 0; ir < mcur; ir += MR) {
        int mr = (int)(mcur - ir < MR ? mcur - ir : MR);
        job->kernel(kc, packed_a + ir * kc, b, c + ir * job->ldc, job->ldc, job->alpha,
                    job->step_beta, mr, nr);
      }
    }
  }
}

static void FN(pack_b_task)(void *arg, long task) {
  const FN(job) *job = arg;
  long j0 = task * job->pack_columns;
  if (j0 >= job->nc) return;
  long ncols = job->nc - j0 < job->pack_columns ? job->nc - j0 : job->pack_columns;
  long col = job->jc + j0;
  const T *b = job->transB ? job->b + col * job->ldb + job->pc : job->b + job->pc * job->ldb + col;
  FN(pack_b)(job->transB, b, job->ldb, job->kc, ncols, job->packed_b + j0 * job->kc);
}

static long FN(ceil_div)(long a, long b) { return (a + b - 1) / b; }

// Chunk (row block, column block) of the current step: rows cut at MR-row micro-panels and
// columns at NR-column panels, as evenly as whole panels allow.
static void FN(compute_task)(void *arg, long task) {
  const FN(job) *job = arg;
  long row_panels = FN(ceil_div)(job->m, MR), column_panels = FN(ceil_div)(job->nc, NR);
  long r = task / job->column_chunks, q = task % job->column_chunks;
  long i0 = r * row_panels / job->row_chunks * MR, i1 = (r + 1) * row_panels / job->row_chunks * MR;
  long j0 = q * column_panels / job->column_chunks * NR, j1 = (q + 1) * column_panels / job->column_chunks * NR;
  if (i1 > job->m) i1 = job->m;
  if (j1 > job->nc) j1 = job->nc;
  if (i0 < i1 && j0 < j1) FN(macro_kernel)(job, i0, i1 - i0, j0, j1 - j0);
}

// About 4 chunks per thread, so a busy core slows the GEMM by a chunk, not by half
// (bp_parallel_for hands them out dynamically). Rows are split first: row chunks share the packed
// B and pack disjoint parts of A. Columns are split only when there are too few row panels; then
// each column chunk packs its rows of A again (cheap: A is small then).
static void FN(plan_chunks)(FN(job) *job, int threads) {
  long want = 4L * threads;
  long row_panels = FN(ceil_div)(job->m, MR), column_panels = FN(ceil_div)(job->nc, NR);
  job->row_chunks = row_panels < want ? row_panels : want;
  job->column_chunks = 1;
  if (job->row_chunks < 2L * threads) {
    long columns = FN(ceil_div)(want, job->row_chunks), most = FN(ceil_div)(column_panels, 4);
    job->column_chunks = columns < most ? columns : most;  // ≥ 4 panels per chunk
  }
  job->pack_columns = FN(ceil_div)(column_panels, 2L * threads) * NR;
  job->pack_tasks = FN(ceil_div)(job->nc, job->pack_columns);
}

static void FN(gemm)(int transA, int transB, long m, long n, long k, T alpha, const T *a, long lda,
                     const T *b, long ldb, T beta, T *c, long ldc, int threads, UKERNEL_FN kernel) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0) { FN(scale_c)(m, n, beta, c, ldc); return; }
  int parallel = threads > 1 && m * n * k >= BP_PARALLEL_MIN_MACS;
  FN(job) job = {.transA = transA, .transB = transB, .m = m, .n = n, .k = k, .lda = lda, .ldb = ldb,
                 .ldc = ldc, .alpha = alpha, .beta = beta, .a = a, .b = b, .c = c};
  job.kernel = kernel;
  long max_kc = k < KC ? k : KC, max_nc = n < NC ? n : NC;
  job.packed_b = bp_scratch(1, sizeof(T) * (size_t)FN(ceil_div)(max_nc, NR) * NR * (size_t)max_kc);
  for (job.jc = 0; job.jc < n; job.jc += NC) {
    job.nc = n - job.jc < NC ? n - job.jc : NC;
    for (job.pc = 0; job.pc < k; job.pc += KC) {
      job.kc = k - job.pc < KC ? k - job.pc : KC;
      job.step_beta = job.pc == 0 ? beta : 1;
      if (parallel) {
        FN(plan_chunks)(&job, threads);
        bp_parallel_for(threads, job.pack_tasks, FN(pack_b_task), &job);
        bp_parallel_for(threads, job.row_chunks * job.column_chunks, FN(compute_task), &job);
      } else {
        job.pack_columns = job.nc;
        FN(pack_b_task)(&job, 0);
        FN(macro_kernel)(&job, 0, m, 0, job.nc);
      }
    }
  }
}
