"""More of MXNet's ``mx.test_utils``: statistical checks of random generators, optimizer
comparison, speed checks, environment probes and the data set download helpers.

Everything here is re-exported by `mxlite.test_utils`, so ``from mxlite.test_utils import *``
gives MXNet test code the names it expects. The chi-square p-value is computed without
SciPy, from a NumPy regularized upper incomplete gamma function (`gammaincc`).
"""
import bz2
import math
import os
import platform
import time
import zipfile

import numpy as np

from .base import MXNetError
from .ndarray.ndarray import NDArray

__all__ = ['gammaincc', 'chi2_sf', 'gen_buckets_probs_with_ppf', 'chi_square_check',
           'verify_generator', 'mean_check', 'var_check', 'compare_optimizer', 'check_speed',
           'is_op_runnable', 'has_tvm_ops', 'is_cd_run', 'is_aarch64_run', 'get_im2rec_path',
           'get_mnist_ubyte', 'get_mnist_pkl', 'get_mnist_iterator', 'get_cifar10',
           'get_zip_data', 'get_bz2_data', 'download_model',
           'check_gluon_hybridize_consistency']

# where MXNet 1.9.1's helpers fetch from (module constants so a caller can point them
# at a mirror or a local file:// copy)
MNIST_ZIP_URL = 'http://data.mxnet.io/mxnet/data/mnist.zip'
MNIST_PKL_URL = 'http://deeplearning.net/data/mnist/mnist.pkl.gz'
CIFAR10_ZIP_URL = 'http://data.mxnet.io/mxnet/data/cifar10.zip'
MODEL_BASE_URL = 'http://data.mxnet.io/models/'
_MNIST_UBYTE = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
                't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')


# ------------------------------------------------------------------ incomplete gamma
def gammaincc(a, x, eps=1e-15, max_iter=1000):
    """Regularized upper incomplete gamma function Q(a, x) = Gamma(a, x) / Gamma(a).

    Uses the power series of P(a, x) = 1 - Q(a, x) where ``x < a + 1`` (it converges fast
    there) and Legendre's continued fraction (modified Lentz) elsewhere. Works
    element-wise on arrays; returns a float for scalar inputs.

    Examples
    --------
    >>> from mxlite.test_utils import gammaincc
    >>> round(gammaincc(1.0, 2.0), 10)     # Q(1, x) = exp(-x)
    0.1353352832
    """
    a_arr, x_arr = np.broadcast_arrays(np.asarray(a, dtype=np.float64),
                                       np.asarray(x, dtype=np.float64))
    a_f, x_f = a_arr.ravel(), x_arr.ravel()
    if np.any(a_f <= 0) or np.any(x_f < 0):
        raise ValueError('gammaincc needs a > 0 and x >= 0, got a=%s x=%s' % (a, x))
    out = np.empty(a_f.shape, dtype=np.float64)
    lgam = np.array([math.lgamma(v) for v in a_f])
    with np.errstate(divide='ignore'):
        # log of x^a e^-x / Gamma(a), the common prefactor of both expansions
        log_pref = np.where(x_f > 0, a_f * np.log(np.where(x_f > 0, x_f, 1.0)) - x_f - lgam,
                            -np.inf)
    use_series = x_f < a_f + 1
    # both expansions need O(sqrt(a)) terms near x ~ a
    max_iter = int(max_iter + 20 * math.sqrt(float(a_f.max()))) if a_f.size else max_iter
    tiny = 1e-300

    s = use_series
    if s.any():
        aa, xx = a_f[s], x_f[s]
        term = 1.0 / aa
        total = term.copy()
        denom = aa.copy()
        for _ in range(max_iter):
            denom = denom + 1
            term = term * xx / denom
            total = total + term
            if np.all(np.abs(term) < np.abs(total) * eps):
                break
        out[s] = 1.0 - np.exp(log_pref[s]) * total

    c = ~use_series
    if c.any():
        aa, xx = a_f[c], x_f[c]
        b = xx + 1 - aa
        cc = np.full(aa.shape, 1.0 / tiny)
        d = 1.0 / b
        h = d.copy()
        for i in range(1, max_iter + 1):
            an = -i * (i - aa)
            b = b + 2
            d = an * d + b
            d = np.where(np.abs(d) < tiny, tiny, d)
            cc = b + an / cc
            cc = np.where(np.abs(cc) < tiny, tiny, cc)
            d = 1.0 / d
            delta = d * cc
            h = h * delta
            if np.all(np.abs(delta - 1) < eps):
                break
        out[c] = np.exp(log_pref[c]) * h
    out = np.clip(out, 0.0, 1.0).reshape(a_arr.shape)
    return float(out) if out.ndim == 0 else out


def chi2_sf(stat, dof):
    """Survival function of the chi-square distribution: P(X > stat), X ~ chi2(dof).

    Examples
    --------
    >>> from mxlite.test_utils import chi2_sf
    >>> round(chi2_sf(3.841458820694124, 1), 6)
    0.05
    """
    if dof <= 0:
        raise ValueError('chi2_sf needs dof > 0, got %s' % (dof,))
    return gammaincc(dof / 2.0, np.maximum(np.asarray(stat, dtype=np.float64), 0.0) / 2.0)


# ------------------------------------------------------------ generator checks
def _samples(values):
    if isinstance(values, NDArray):
        return values.asnumpy()
    if isinstance(values, (list, tuple)) and values and isinstance(values[0], NDArray):
        return np.concatenate([v.asnumpy().ravel() for v in values])
    return np.asarray(values)


def gen_buckets_probs_with_ppf(ppf, nbuckets):
    """Split a distribution into `nbuckets` equally likely intervals.

    Parameters
    ----------
    ppf : callable
        Quantile function (inverse CDF): probability -> value.
    nbuckets : int
        Number of intervals.

    Returns
    -------
    buckets : list of (float, float)
        ``(ppf(i / n), ppf((i + 1) / n))`` for i in 0..n-1.
    probs : list of float
        ``1 / n`` each.

    Examples
    --------
    >>> from mxlite.test_utils import gen_buckets_probs_with_ppf
    >>> gen_buckets_probs_with_ppf(lambda q: 2 * q, 2)
    ([(0.0, 1.0), (1.0, 2.0)], [0.5, 0.5])
    """
    if int(nbuckets) != nbuckets or nbuckets <= 0:
        raise ValueError('nbuckets must be a positive integer, got %r' % (nbuckets,))
    nbuckets = int(nbuckets)
    edges = [ppf(i / float(nbuckets)) for i in range(nbuckets + 1)]
    return ([(edges[i], edges[i + 1]) for i in range(nbuckets)],
            [1.0 / nbuckets] * nbuckets)


def chi_square_check(generator, buckets, probs, nsamples=1000000):
    """Pearson's chi-square goodness-of-fit test of `generator` against `probs`.

    Parameters
    ----------
    generator : callable
        ``generator(n)`` returns n i.i.d. samples (NumPy array, list or NDArray).
    buckets : list
        For a continuous distribution, ascending non-overlapping ``(low, high)``
        intervals; a sample counts in the interval with ``low <= s < high``. For a
        discrete distribution, the possible values themselves.
    probs : list or tuple
        The true probability of each bucket.
    nsamples : int, default 1000000

    Returns
    -------
    p : float
        The p-value (degrees of freedom: number of buckets - 1); small values mean
        the samples do not follow `probs`.
    obs_freq : numpy.ndarray
        Observed count per bucket.
    expected_freq : numpy.ndarray
        ``nsamples * probs``.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlite.test_utils import chi_square_check
    >>> np.random.seed(0)
    >>> p, obs, exp = chi_square_check(lambda n: np.random.randint(0, 2, size=n),
    ...                                [0, 1], [0.5, 0.5], nsamples=10000)
    >>> bool(p > 0.01), int(obs.sum())
    (True, 10000)
    """
    if not isinstance(buckets, (list, tuple)) or len(buckets) == 0:
        raise ValueError('buckets must be a non-empty list, got %r' % (buckets,))
    if len(probs) != len(buckets):
        raise ValueError('probs has %d entries but there are %d buckets'
                         % (len(probs), len(buckets)))
    samples = _samples(generator(nsamples)).ravel()
    nb = len(buckets)
    if isinstance(buckets[0], (list, tuple)):
        lo = np.array([float(b[0]) for b in buckets])
        hi = np.array([float(b[1]) for b in buckets])
        if np.any(lo > hi) or np.any(hi[:-1] > lo[1:]):
            raise ValueError('buckets must be ascending (low <= high) and must not overlap: '
                             '%r' % (buckets,))
        idx = np.searchsorted(lo, samples, side='right') - 1
        inside = (idx >= 0) & (samples < hi[np.clip(idx, 0, nb - 1)])
        obs = np.bincount(idx[inside], minlength=nb)[:nb]
    else:
        values = np.asarray(buckets)
        obs = np.array([(samples == v).sum() for v in values])
    obs = obs.astype(np.int64)
    expected = nsamples * np.asarray(probs, dtype=np.float64)
    if np.any(expected <= 0):
        raise ValueError('every bucket needs a positive probability, got %r' % (probs,))
    stat = float(((obs - expected) ** 2 / expected).sum())
    p = chi2_sf(stat, nb - 1) if nb > 1 else 1.0
    return float(p), obs, expected


def verify_generator(generator, buckets, probs, nsamples=1000000, nrepeat=5,
                     success_rate=0.2, alpha=0.05):
    """Run `chi_square_check` `nrepeat` times; raise AssertionError unless at least
    ``nrepeat * success_rate`` runs give p > `alpha`. Returns the list of p-values.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlite.test_utils import verify_generator
    >>> np.random.seed(1)
    >>> ps = verify_generator(lambda n: np.random.uniform(size=n),
    ...                       [(0.0, 0.5), (0.5, 1.0)], [0.5, 0.5], nsamples=1000, nrepeat=3)
    >>> len(ps)
    3
    """
    pvals, obs_l, exp_l = [], [], []
    for _ in range(nrepeat):
        p, obs, exp = chi_square_check(generator, buckets, probs, nsamples=nsamples)
        pvals.append(p)
        obs_l.append(obs)
        exp_l.append(exp)
    passed = int((np.array(pvals) > alpha).sum())
    if passed < nrepeat * success_rate:
        raise AssertionError(
            'Generator test failed: %d of %d chi-square tests had p > %g (needed %g); '
            'p=%s, obs_freq=%s, expected_freq=%s\nbuckets=%s, probs=%s'
            % (passed, nrepeat, alpha, nrepeat * success_rate, pvals,
               [o.tolist() for o in obs_l], [e.tolist() for e in exp_l], buckets, probs))
    return pvals


def mean_check(generator, mu, sigma, nsamples=1000000):
    """True when the mean of ``generator(nsamples)`` lies strictly within
    ``mu +- 3 * sigma / sqrt(nsamples)``.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlite.test_utils import mean_check
    >>> np.random.seed(0)
    >>> bool(mean_check(lambda n: np.random.normal(0, 1, size=n), 0, 1, nsamples=10000))
    True
    """
    mean = float(_samples(generator(nsamples)).mean())
    half = 3 * sigma / np.sqrt(nsamples)
    return bool(mu - half < mean < mu + half)


def var_check(generator, sigma, nsamples=1000000):
    """True when the sample variance (ddof=1) of ``generator(nsamples)`` lies strictly
    within ``sigma**2 +- 3 * sqrt(2 * sigma**4 / (nsamples - 1))``.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlite.test_utils import var_check
    >>> np.random.seed(0)
    >>> bool(var_check(lambda n: np.random.normal(0, 2, size=n), 2, nsamples=10000))
    True
    """
    var = float(_samples(generator(nsamples)).astype(np.float64).var(ddof=1))
    half = 3 * np.sqrt(2 * sigma ** 4 / (nsamples - 1))
    return bool(sigma ** 2 - half < var < sigma ** 2 + half)


# ------------------------------------------------------------ optimizers
def _as_tuple(state):
    if state is None:
        return ()
    if isinstance(state, (list, tuple)):
        return tuple(state)
    return (state,)


def _compare_states(s1, s2, rtol=1e-5, atol=1e-20):
    """Compare two optimizer states (NDArrays, nested tuples of them, or None)."""
    from .test_utils import assert_almost_equal
    if isinstance(s1, NDArray) or isinstance(s2, NDArray):
        if not (isinstance(s1, NDArray) and isinstance(s2, NDArray)):
            raise AssertionError('optimizer states differ in kind: %r vs %r' % (s1, s2))
        assert_almost_equal(s1.asnumpy(), s2.asnumpy(), rtol=rtol, atol=atol,
                            names=('state1', 'state2'))
        return
    t1, t2 = _as_tuple(s1), _as_tuple(s2)
    if len(t1) != len(t2):
        raise AssertionError('optimizer states differ in length: %d vs %d'
                             % (len(t1), len(t2)))
    for a, b in zip(t1, t2):
        _compare_states(a, b, rtol, atol)


def _uniform(shape, dtype):
    from . import random as mxrandom
    from .test_utils import default_context
    return mxrandom.uniform(shape=shape, ctx=default_context(), dtype=dtype)


def compare_optimizer(opt1, opt2, shape, dtype, w_stype='default', g_stype='default',
                      rtol=1e-4, atol=1e-5, compare_states=True, ntensors=1):
    """Apply one update of `opt1` and of `opt2` to the same random weight and gradient
    and assert the new weights (and, with `compare_states`, the states) agree.

    Weights and gradients are uniform in [0, 1) from `mx.random` (seed it for
    reproducibility). With `w_stype`/`g_stype` 'row_sparse' or 'csr', `opt2` gets
    the sparse array and `opt1` its dense copy. When `shape` is a list of shapes,
    `opt2` updates all `ntensors` tensors in one (multi-tensor) call and `opt1`
    one at a time.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.random.seed(0)
    >>> mx.test_utils.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9),
    ...                                 mx.optimizer.SGD(learning_rate=0.1, momentum=0.9),
    ...                                 (3, 4), 'float32')
    """
    from .test_utils import assert_almost_equal, default_context, rand_ndarray
    ctx = default_context()
    if not isinstance(shape, list):
        if ntensors != 1:
            raise ValueError('ntensors=%d needs shape to be a list of shapes' % ntensors)
        if w_stype == 'default':
            w2 = _uniform(shape, dtype)
            w1 = w2.copyto(ctx)
        elif w_stype in ('row_sparse', 'csr'):
            w2 = rand_ndarray(shape, w_stype, density=1, dtype=dtype)
            w1 = w2.copyto(ctx).tostype('default')
        else:
            raise ValueError("w_stype must be 'default', 'row_sparse' or 'csr', got %r"
                             % (w_stype,))
        if g_stype == 'default':
            g2 = _uniform(shape, dtype)
            g1 = g2.copyto(ctx)
        elif g_stype in ('row_sparse', 'csr'):
            g2 = rand_ndarray(shape, g_stype, dtype=dtype)
            g1 = g2.copyto(ctx).tostype('default')
        else:
            raise ValueError("g_stype must be 'default', 'row_sparse' or 'csr', got %r"
                             % (g_stype,))
        state1 = opt1.create_state_multi_precision(0, w1)
        state2 = opt2.create_state_multi_precision(0, w2)
        if compare_states:
            _compare_states(state1, state2)
        opt1.update_multi_precision(0, w1, g1, state1)
        opt2.update_multi_precision(0, w2, g2, state2)
        if compare_states:
            _compare_states(state1, state2, rtol=rtol, atol=atol)
        assert_almost_equal(w1.asnumpy(), w2.tostype('default').asnumpy(), rtol=rtol,
                            atol=atol, names=('weight1', 'weight2'))
        return
    if len(shape) < ntensors:
        raise ValueError('shape lists %d shapes, fewer than ntensors=%d'
                         % (len(shape), ntensors))
    w1 = [_uniform(s, dtype) for s in shape]
    g1 = [_uniform(s, dtype) for s in shape]
    w2 = [w.copyto(ctx) for w in w1]
    g2 = [g.copyto(ctx) for g in g1]
    state2 = [opt2.create_state_multi_precision(0, w2[i]) for i in range(ntensors)]
    opt2.update_multi_precision(list(range(ntensors)), w2[:ntensors], g2[:ntensors], state2)
    for i in range(ntensors):
        state1 = opt1.create_state_multi_precision(i, w1[i])
        opt1.update_multi_precision(i, w1[i], g1[i], state1)
        if compare_states:
            _compare_states(state1, state2[i], rtol, atol)
        assert_almost_equal(w1[i].asnumpy(), w2[i].asnumpy(), rtol=rtol, atol=atol,
                            names=('weight1[%d]' % i, 'weight2[%d]' % i))


# ------------------------------------------------------------ speed
def check_speed(sym, location=None, ctx=None, N=20, grad_req=None, typ='whole', **kwargs):
    """Seconds per iteration of `sym`: forward + backward (``typ='whole'``) or
    inference forward only (``typ='forward'``), averaged over `N` runs after one
    warm-up run.

    Parameters
    ----------
    sym : Symbol
    location : dict of str to numpy.ndarray, optional
        Argument values (their shapes bind the symbol); without it the symbol is bound
        with the shapes in `kwargs` and filled with standard normal values.
    ctx : Context, optional
    N : int, default 20
    grad_req : str, list or dict, optional (default 'write')
    typ : {'whole', 'forward'}

    Examples
    --------
    >>> import mxlite as mx
    >>> t = mx.test_utils.check_speed(mx.sym.relu(mx.sym.var('x')), N=2, x=(4, 5))
    >>> t > 0
    True
    """
    from .ndarray.ndarray import waitall
    from .test_utils import default_context
    if typ not in ('whole', 'forward'):
        raise ValueError("typ must be 'whole' or 'forward', got %r" % (typ,))
    ctx = default_context() if ctx is None else ctx
    grad_req = 'write' if grad_req is None else grad_req
    if location is None:
        exe = sym.simple_bind(ctx=ctx, grad_req=grad_req, **kwargs)
        location = {k: np.random.normal(size=a.shape) for k, a in exe.arg_dict.items()}
    else:
        if not isinstance(location, dict):
            raise ValueError('location must be a dict of name -> array, got %s'
                             % type(location).__name__)
        exe = sym.simple_bind(ctx=ctx, grad_req=grad_req,
                              **{k: np.shape(v) for k, v in location.items()})
    for name, value in location.items():
        target = exe.arg_dict[name]
        target[:] = np.asarray(_samples(value)).astype(target.dtype)
    train = typ == 'whole'

    def step():
        exe.forward(is_train=train)
        if train:
            exe.backward(out_grads=exe.outputs)

    step()                       # warm-up: first-run allocations and caches
    waitall()
    tic = time.perf_counter()
    for _ in range(N):
        step()
    waitall()
    # never 0.0: callers divide by it
    return max(time.perf_counter() - tic, 1e-9) / N


# ------------------------------------------------------------ environment probes
def is_op_runnable():
    """True: every mxlite operator runs on every context it supports (no TVM ops)."""
    return True


def has_tvm_ops():
    """False: mxlite has no TVM-generated operators."""
    return False


def is_cd_run():
    """True when running as a Continuous Delivery job (environment ``CD_JOB=1``)."""
    return os.environ.get('CD_JOB', '0') == '1'


def is_aarch64_run():
    """True on an aarch64 (64-bit ARM) machine."""
    return platform.machine() == 'aarch64'


def get_im2rec_path(home_env='MXNET_HOME'):
    """The path of an ``im2rec.py`` tool, found under ``$<home_env>/tools`` (or
    ``$<home_env>/../../tools``, an MXNet source tree).

    mxlite ships no im2rec tool, so without such a directory this raises OSError; write
    records with `mx.recordio.MXIndexedRecordIO` and `mx.recordio.pack_img` instead.
    """
    home = os.environ.get(home_env)
    if home:
        for cand in (os.path.join(home, 'tools', 'im2rec.py'),
                     os.path.join(home, '..', '..', 'tools', 'im2rec.py')):
            if os.path.isfile(cand):
                return cand
    raise OSError(
        'Could not find tools/im2rec.py: mxlite ships no im2rec tool%s. Set $%s to an '
        'MXNet directory that has tools/im2rec.py, or write .rec files with '
        'mx.recordio.MXIndexedRecordIO and mx.recordio.pack_img.'
        % (' and $%s=%s has none' % (home_env, home) if home else
           ' and $%s is not set' % home_env, home_env))


# ------------------------------------------------------------ downloads
def _fetch(url, what, fname=None, dirname=None, hint=''):
    """`mx.test_utils.download`, failing with an MXNetError that names the URL."""
    from . import test_utils
    try:
        return test_utils.download(url, fname=fname, dirname=dirname, overwrite=False)
    except Exception as exc:   # any network/file error: name the URL and the way out
        target = os.path.join(dirname or '', fname or test_utils._name_from_url(url))
        raise MXNetError('could not download %s from %s (%s: %s). Download it yourself '
                         'and save it as %s%s'
                         % (what, url, type(exc).__name__, exc, target, hint)) from exc


def _extract_zip(path, dest):
    try:
        with zipfile.ZipFile(path) as zf:
            zf.extractall(dest)
    except zipfile.BadZipFile as exc:
        raise MXNetError("'%s' is not a valid zip file (%s); delete it and retry"
                         % (path, exc)) from None


def _mnist_from_cache(dest):
    """Copy MNIST (ungzipped) from mxlite's data folders into `dest`; True on success."""
    from .io import mnist
    for folder in mnist._search_dirs(None):
        if all(mnist._has_file(folder, s) for s in _MNIST_UBYTE):
            for stem in _MNIST_UBYTE:
                raw = mnist._read_bytes(mnist._resolve(folder / stem))
                with open(os.path.join(dest, stem), 'wb') as f:
                    f.write(raw)
            return True
    return False


def get_mnist_ubyte():
    """Make sure ``./data`` holds the four uncompressed MNIST idx files.

    Files already in ``./data`` are used as they are. Otherwise they are copied from
    mxlite's MNIST folder (``$MXLITE_DATA_DIR/mnist`` or ``~/.mxlite/datasets/mnist``,
    the one `get_mnist` fills), else ``mnist.zip`` is downloaded from `MNIST_ZIP_URL`
    and unpacked, else the files are fetched (checksums verified) from
    `mxlite.io.mnist.MNIST_MIRRORS` into mxlite's MNIST folder and copied; offline, an
    MXNetError names the URLs.
    """
    os.makedirs('data', exist_ok=True)
    if all(os.path.exists(os.path.join('data', s)) for s in _MNIST_UBYTE):
        return
    if _mnist_from_cache('data'):
        return
    hint = (', or put the four MNIST files (%s) in ./data or in $MXLITE_DATA_DIR/mnist'
            % ', '.join(_MNIST_UBYTE))
    try:
        path = _fetch(MNIST_ZIP_URL, 'MNIST', dirname='data', hint=hint)
    except MXNetError as zip_error:
        # data.mxnet.io may be gone: fall back on get_mnist's checksummed mirrors
        from .io import mnist
        folder = mnist._search_dirs(None)[0]
        problems = [mnist._download(folder, stem, md5)
                    for stem, md5 in mnist.MNIST_FILES.values()
                    if not mnist._has_file(folder, stem)]
        problems = [p for p in problems if p]
        if problems or not _mnist_from_cache('data'):
            raise MXNetError('%s\nThe MNIST mirrors failed too: %s'
                             % (zip_error, ' | '.join(problems))) from None
        return
    _extract_zip(path, 'data')


def get_mnist_pkl():
    """Make sure ``./data/mnist.pkl.gz`` exists, downloading it from `MNIST_PKL_URL`."""
    os.makedirs('data', exist_ok=True)
    if not os.path.exists(os.path.join('data', 'mnist.pkl.gz')):
        _fetch(MNIST_PKL_URL, 'MNIST (pickle)', dirname='data')


def get_mnist_iterator(batch_size, input_shape, num_parts=1, part_index=0):
    """MNIST training and validation `MNISTIter`s over the files `get_mnist_ubyte` puts in
    ``./data``; the data are flat (batch, 784) unless `input_shape` has three dims.
    The training iterator shuffles, the validation one does not."""
    from .io.mnist import MNISTIter
    get_mnist_ubyte()
    flat = len(input_shape) != 3
    common = dict(input_shape=input_shape, batch_size=batch_size, flat=flat,
                  num_parts=num_parts, part_index=part_index)
    train = MNISTIter(image=os.path.join('data', 'train-images-idx3-ubyte'),
                      label=os.path.join('data', 'train-labels-idx1-ubyte'),
                      shuffle=True, **common)
    val = MNISTIter(image=os.path.join('data', 't10k-images-idx3-ubyte'),
                    label=os.path.join('data', 't10k-labels-idx1-ubyte'),
                    shuffle=False, **common)
    return train, val


def get_cifar10():
    """Make sure ``./data/cifar`` holds CIFAR-10's train/test .rec and .lst files,
    downloading ``cifar10.zip`` from `CIFAR10_ZIP_URL` and unpacking it into ``./data``."""
    os.makedirs('data', exist_ok=True)
    names = ('train.rec', 'test.rec', 'train.lst', 'test.lst')
    if all(os.path.exists(os.path.join('data', 'cifar', n)) for n in names):
        return
    path = _fetch(CIFAR10_ZIP_URL, 'CIFAR-10', dirname='data')
    _extract_zip(path, 'data')


def get_zip_data(data_dir, url, data_origin_name):
    """Download the zip file `url` into `data_dir` (as named by the URL) and unpack it
    there, unless ``data_dir/data_origin_name`` already exists."""
    if os.path.exists(os.path.join(data_dir, data_origin_name)):
        return
    # unpack what was downloaded (named by the URL, which is normally data_origin_name)
    _extract_zip(_fetch(url, data_origin_name, dirname=data_dir), data_dir)


def get_bz2_data(data_dir, data_name, url, data_origin_name):
    """Download the bz2 file `url` as ``data_dir/data_origin_name``, decompress it into
    ``data_dir/data_name`` and delete the compressed file; nothing happens when
    ``data_dir/data_name`` already exists."""
    out = os.path.join(data_dir, data_name)
    if os.path.exists(out):
        return
    packed = _fetch(url, data_origin_name, fname=data_origin_name, dirname=data_dir)
    tmp = out + '.part'
    try:
        with bz2.open(packed, 'rb') as src, open(tmp, 'wb') as dst:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                dst.write(chunk)
    except (OSError, EOFError) as exc:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise MXNetError("'%s' is not a valid bz2 file (%s)" % (packed, exc)) from None
    os.replace(tmp, out)
    os.remove(packed)


def _default_models():
    base = MODEL_BASE_URL + 'imagenet/'
    models = {'imagenet1k-inception-bn': (base + 'inception-bn/Inception-BN', 126)}
    for depth in (18, 34, 50, 101, 152):
        models['imagenet1k-resnet-%d' % depth] = (
            base + 'resnet/%d-layers/resnet-%d' % (depth, depth), 0)
    for depth in (50, 101):
        models['imagenet1k-resnext-%d' % depth] = (
            base + 'resnext/%d-layers/resnext-%d' % (depth, depth), 0)
    models['imagenet1k-resnext-101-64x4d'] = (base + 'resnext/101-layers/resnext-101-64x4d', 0)
    models['imagenet11k-resnet-152'] = (
        MODEL_BASE_URL + 'imagenet-11k/resnet-152/resnet-152', 0)
    for depth in (152, 50):
        models['imagenet11k-place365ch-resnet-%d' % depth] = (
            MODEL_BASE_URL + 'imagenet-11k-place365-ch/resnet-%d' % depth, 0)
    return {name: {'symbol': stem + '-symbol.json', 'params': stem + '-%04d.params' % epoch}
            for name, (stem, epoch) in models.items()}


def download_model(model_name, dst_dir='./', meta_info=None):
    """Download a model's ``-symbol.json`` and parameters into `dst_dir`.

    Parameters
    ----------
    model_name : str
        A key of `meta_info` (by default MXNet's ImageNet models on data.mxnet.io, e.g.
        'imagenet1k-resnet-18').
    dst_dir : str, default './'
    meta_info : dict, optional
        model name -> ``{'symbol': url, 'params': url}``.

    Returns
    -------
    (prefix, epoch)
        ``(dst_dir/model_name, 0)``: the files are saved as ``prefix-symbol.json`` and
        ``prefix-0000.params`` (load them with ``mx.model.load_checkpoint(prefix, 0)``);
        ``(None, 0)`` for an unknown model name.
    """
    meta_info = _default_models() if meta_info is None else dict(meta_info)
    if model_name not in meta_info:
        return None, 0
    meta = dict(meta_info[model_name])
    for key in ('symbol', 'params'):
        if key not in meta:
            raise ValueError("meta_info['%s'] has no '%s' URL" % (model_name, key))
    os.makedirs(dst_dir, exist_ok=True)
    prefix = os.path.join(dst_dir, model_name)
    _fetch(meta['symbol'], model_name + ' symbol', fname=prefix + '-symbol.json')
    _fetch(meta['params'], model_name + ' parameters', fname=prefix + '-0000.params')
    return prefix, 0


def check_gluon_hybridize_consistency(net_builder, data_l, numpy_func=None, test_grad=True,
                                      rtol=1e-4, atol=1e-4):
    """Not available: mxlite has no Gluon (HybridBlock); always raises MXNetError."""
    raise MXNetError('check_gluon_hybridize_consistency needs Gluon HybridBlocks, and '
                     'mxlite has no Gluon; compare symbolic and imperative results with '
                     'check_symbolic_forward / mx.nd calls instead')
