"""Work arrays and optional thread slicing shared by the convolution and pooling kernels.

`scratch` hands out per-thread buffers reused across calls (a fresh array of tens of MB
page-faults on first touch); `parallel` runs a memory-bound pass in slices on one thread
per core (MXLITE_CPU_THREADS sets the number; 1 turns it off).
"""
import os
import threading

import numpy as np

from ._util import prod as _prod


# ----------------------------------------------------------------------------- scratch
_SCRATCH = threading.local()


def scratch(slot, shape, dtype):
    """A work array kept per thread and `slot` and reused by later calls.

    A fresh array of tens of MB page-faults on first touch, which costs as much as the
    im2col copy itself; MXNet reuses a workspace for the same reason. The content is
    garbage on entry, and a scratch array must never be returned to the caller.
    """
    size = _prod(shape)
    dtype = np.dtype(dtype)
    bufs = _SCRATCH.__dict__.setdefault('bufs', {})
    key = (slot, dtype.str)
    buf = bufs.get(key)
    if buf is None or buf.size < size:
        buf = bufs[key] = np.empty(max(size, 1), dtype=dtype)
    return buf[:size].reshape(shape)


def release_scratch():
    """Free this thread's work arrays (they are re-created on demand)."""
    _SCRATCH.__dict__.pop('bufs', None)


# ----------------------------------------------------------------------------- threads
# NumPy releases the GIL inside its copy and ufunc loops, so a large memory-bound pass
# (im2col, col2im, layout moves, pooling) cut in slices runs on several cores at once, as
# MXNet's OpenMP kernels do. One thread per available core (at most 8), or
# MXLITE_CPU_THREADS (1 turns it off). The first split pass also shortens OpenBLAS's idle
# spin (backend.shorten_blas_spin): a slice landing on a core where a BLAS worker still
# spins runs at half speed. LeNet's training step, 2 cores: 29.7-31.3 -> 24.5-27.5 ms.
def _cgroup_cpus(path='/sys/fs/cgroup/cpu.max'):
    """CPUs a cgroup v2 quota allows ('200000 100000' -> 2), or None without a quota: a
    container may see all the host's cores but be allowed only a few of them."""
    try:
        with open(path) as f:
            quota, period = f.read().split()[:2]
        return None if quota == 'max' else max(1, int(quota) // int(period))
    except (OSError, ValueError):
        return None


def _default_threads():
    env = os.environ.get('MXLITE_CPU_THREADS', '').strip()
    if env.isdigit() and int(env) > 0:
        return min(8, int(env))
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):   # not on Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_cpus()
    return max(1, min(8, cores, quota or cores))


THREADS = _default_threads()
# Below this a pass is not split: a slice's hand-off and the shortened BLAS spin (more
# wake-ups for every later GEMM) cost more than it saves (MobileNet at batch 1: 7.9 ms
# with 4 MB, 8.8 with 1 MB; LeNet's step the same within noise).
PARALLEL_MIN_BYTES = 4 << 20
_POOL = {}
_INSIDE = threading.local()    # a slice that calls parallel() again runs it inline


def _run_slice(fn, lo, hi):
    _INSIDE.active = True
    try:
        fn(lo, hi)
    finally:
        _INSIDE.active = False


def parallel(fn, n, nbytes):
    """Run fn(lo, hi) on slices covering range(n), at once on up to THREADS threads when
    the work touches at least PARALLEL_MIN_BYTES (else one call). fn must only write to
    its own slice and must not call scratch() (that is per thread)."""
    k = min(THREADS, n)
    if k < 2 or nbytes < PARALLEL_MIN_BYTES or getattr(_INSIDE, 'active', False):
        fn(0, n)
        return
    pool = _POOL.get(os.getpid())   # a forked child needs threads of its own
    if pool is None:
        from concurrent.futures import ThreadPoolExecutor
        from ..backend import shorten_blas_spin
        shorten_blas_spin()
        _POOL.clear()
        pool = _POOL[os.getpid()] = ThreadPoolExecutor(THREADS - 1, 'mxlite-cpu')
    cuts = [n * i // k for i in range(k + 1)]
    futures = [pool.submit(_run_slice, fn, cuts[i], cuts[i + 1]) for i in range(1, k)]
    try:
        _run_slice(fn, cuts[0], cuts[1])
    finally:
        for f in futures:
            f.result()


# OpenBLAS runs a GEMM of m*n*k below 2 * 65536 * 4 (its SMP_THRESHOLD_MIN times
# GEMM_MULTITHREAD_THRESHOLD, per thread) on one thread. A loop of such GEMMs gains from
# slices on our threads (LeNet's first layer); a loop of larger ones is threaded inside
# OpenBLAS already, and slicing it too makes the two thread pools wake each other for
# every call (ResNet-20 inference at batch 64: 115 -> 148 ms).
BLAS_SINGLE_THREAD_MNK = 2 * 65536 * 4


def gemm_parallel(fn, n, nbytes, mnk):
    """`parallel` for a loop of GEMMs of m*n*k each: sliced only when OpenBLAS would run
    each of them on one thread."""
    if mnk >= BLAS_SINGLE_THREAD_MNK:
        fn(0, n)
    else:
        parallel(fn, n, nbytes)


def parallel_flat(fn, *arrays):
    """fn(*slices) over matching flat slices of arrays of one size (C-contiguous), in
    parallel as `parallel` decides; for elementwise work. Small work calls fn on the
    whole arrays at once (an MLP step makes many such calls: each microsecond shows)."""
    nbytes = 0
    for a in arrays:
        nbytes += a.nbytes
    flats = [a.reshape(-1) for a in arrays]
    if THREADS < 2 or nbytes < PARALLEL_MIN_BYTES or getattr(_INSIDE, 'active', False):
        fn(*flats)
        return
    parallel(lambda lo, hi: fn(*(f[lo:hi] for f in flats)), flats[0].size, nbytes)
