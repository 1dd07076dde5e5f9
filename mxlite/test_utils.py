"""Helpers for testing operators and models, with MXNet's names and signatures.

`check_numeric_gradient` compares a symbol's backward pass with central finite
differences; `check_symbolic_forward`/`check_symbolic_backward` compare with expected
arrays; `assert_almost_equal` reports where and how much two arrays differ.
"""
import logging
import numbers

import numpy as np

from .base import MXNetError
from .context import Context, current_context
from .ndarray.ndarray import NDArray, array

__all__ = ['default_context', 'set_default_context', 'assert_almost_equal', 'almost_equal',
           'same', 'rand_ndarray', 'rand_shape_2d', 'rand_shape_3d', 'rand_shape_nd',
           'random_arrays', 'rand_sparse_ndarray', 'numeric_grad', 'check_numeric_gradient',
           'check_symbolic_forward', 'check_symbolic_backward', 'assert_exception',
           'simple_forward', 'default_dtype', 'check_consistency', 'get_mnist', 'list_gpus',
           'download']

_DEFAULT_CTX = [None]


def default_context():
    return _DEFAULT_CTX[0] or current_context()


def set_default_context(ctx):
    _DEFAULT_CTX[0] = Context(ctx)


def default_dtype():
    return np.float32


def _np(x):
    if isinstance(x, NDArray):
        return x.asnumpy()
    return np.asarray(x)


def same(a, b):
    """True when a and b have equal values (and shapes)."""
    return np.array_equal(_np(a), _np(b))


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False, use_broadcast=True):
    """np.allclose with MXNet's defaults (rtol 1e-5, atol 1e-20); shapes must match when
    `use_broadcast` is False."""
    a, b = _np(a), _np(b)
    if not use_broadcast and a.shape != b.shape:
        return False
    rtol = 1e-5 if rtol is None else rtol
    atol = 1e-20 if atol is None else atol
    return np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_almost_equal(a, b, rtol=None, atol=None, names=('a', 'b'), equal_nan=False,
                        use_broadcast=True, mismatches=(10, 10)):
    """Raise AssertionError naming the worst element when a and b differ beyond tolerance.

    Examples
    --------
    >>> from mxlite.test_utils import assert_almost_equal
    >>> assert_almost_equal([1.0, 2.0], [1.0, 2.0 + 1e-7])
    """
    from .test_utils_helpers import get_tols
    a, b = _np(a), _np(b)
    # None: the looser of the two dtypes' defaults (float32: rtol 1e-4, atol 1e-3), as MXNet
    rtol, atol = get_tols(a, b, rtol, atol)
    if not use_broadcast and a.shape != b.shape:
        raise AssertionError('shapes differ: %s %s vs %s %s' % (names[0], a.shape, names[1],
                                                               b.shape))
    if np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan):
        return
    a64, b64 = np.broadcast_arrays(a.astype(np.float64), b.astype(np.float64))
    err = np.abs(a64 - b64) / (atol + rtol * np.abs(b64))
    err = np.where(np.isnan(err), np.inf, err)
    idx = tuple(int(i) for i in np.unravel_index(np.argmax(err), err.shape)) if err.size else ()
    raise AssertionError(
        'Items are not equal (rtol=%g, atol=%g):\n Error %f exceeds tolerance at %s: '
        '%s=%r, %s=%r\n %s: %s\n %s: %s' % (
            rtol, atol, float(err[idx]) if err.size else 0.0, idx, names[0], float(a64[idx]),
            names[1], float(b64[idx]), names[0], a, names[1], b))


def assert_exception(f, exception_type, *args, **kwargs):
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError('%s was not raised' % exception_type.__name__)


def rand_shape_2d(dim0=10, dim1=10):
    return np.random.randint(1, dim0 + 1), np.random.randint(1, dim1 + 1)


def rand_shape_3d(dim0=10, dim1=10, dim2=10):
    return (np.random.randint(1, dim0 + 1), np.random.randint(1, dim1 + 1),
            np.random.randint(1, dim2 + 1))


def rand_shape_nd(num_dim, dim=10, allow_zero_size=False):
    low = 0 if allow_zero_size else 1
    return tuple(np.random.randint(low, dim + 1, size=num_dim))


def rand_ndarray(shape, stype='default', density=None, dtype=None, ctx=None, **kwargs):
    """A random NDArray (uniform in [0, 1)); sparse storage types keep `density` of it."""
    dtype = np.float32 if dtype is None else dtype
    data = np.random.uniform(0, 1, size=shape).astype(dtype)
    if stype != 'default':
        density = np.random.rand() if density is None else density
        data = data * (np.random.rand(*shape) < density)
        return array(data, ctx=ctx, dtype=dtype).tostype(stype)
    return array(data, ctx=ctx, dtype=dtype)


def rand_sparse_ndarray(shape, stype, density=None, dtype=None, distribution=None,
                        data_init=None, rsp_indices=None, modifier_func=None,
                        shuffle_csr_indices=False, ctx=None):
    """A random sparse NDArray and its stored parts: (arr, (data, indices, indptr)) for
    'csr', (arr, (data, indices)) for 'row_sparse'. `density` is the fraction of stored
    entries (csr) or rows (row_sparse); `data_init` fixes the stored values.

    Examples
    --------
    >>> from mxlite.test_utils import rand_sparse_ndarray
    >>> arr, (data, indices) = rand_sparse_ndarray((4, 3), 'row_sparse', density=0.5)
    >>> arr.stype
    'row_sparse'
    """
    from .ndarray import sparse
    dtype = np.float32 if dtype is None else dtype
    density = np.random.rand() if density is None else density
    rng = np.random
    if stype == 'row_sparse':
        if rsp_indices is not None:
            indices = np.asarray(sorted(rsp_indices), dtype=np.int64)
        else:
            keep = rng.rand(shape[0]) < density
            indices = np.nonzero(keep)[0].astype(np.int64)
        values = rng.uniform(size=(len(indices),) + tuple(shape[1:])).astype(dtype)
        if data_init is not None:
            values[...] = data_init
        if modifier_func is not None:
            values = modifier_func(values).astype(dtype)
        arr = sparse.row_sparse_array((values, indices), shape=shape, ctx=ctx, dtype=dtype)
        return arr, (values, indices)
    if stype == 'csr':
        if len(shape) != 2:
            raise MXNetError('csr arrays are 2-D; got shape %s' % (shape,))
        mask = rng.rand(*shape) < density
        dense = np.where(mask, rng.uniform(size=shape), 0).astype(dtype)
        if data_init is not None:
            dense[mask] = data_init
        if modifier_func is not None:
            dense[mask] = modifier_func(dense[mask])
        rows, cols = np.nonzero(mask)
        values = dense[rows, cols]
        indptr = np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype(np.int64)
        arr = sparse.csr_matrix((values, cols.astype(np.int64), indptr), shape=shape, ctx=ctx,
                                dtype=dtype)
        return arr, (values, cols.astype(np.int64), indptr)
    raise MXNetError("unknown storage type '%s'; expected 'csr' or 'row_sparse'" % stype)


def random_arrays(*shapes):
    """Random float32 numpy arrays (standard normal), one per shape; one shape -> one array."""
    arrays = [np.array(np.random.randn(), dtype=np.float32) if len(s) == 0 else
              np.random.randn(*s).astype(np.float32) for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def _location_dict(sym, location, dtype):
    names = sym.list_arguments()
    if isinstance(location, dict):
        unknown = set(location) - set(names)
        if unknown:
            raise ValueError('location has names %s that are not arguments %s'
                             % (sorted(unknown), names))
        loc = dict(location)
    else:
        loc = dict(zip(names, location))
    out = {}
    for k, v in loc.items():
        v = _np(v)
        out[k] = v.astype(dtype) if dtype is not None and np.issubdtype(v.dtype, np.floating) \
            else v
    return out


def _aux_dict(sym, aux_states, dtype):
    if aux_states is None:
        return None
    names = sym.list_auxiliary_states()
    d = aux_states if isinstance(aux_states, dict) else dict(zip(names, aux_states))
    return {k: array(_np(v), dtype=dtype or _np(v).dtype) for k, v in d.items()}


def numeric_grad(executor, location, aux_states=None, eps=1e-4, use_forward_train=True,
                 dtype=np.float32, projections=None):
    """Central-difference gradient of sum(outputs) (or of sum(outputs * projections))
    with respect to each array in `location` (names of the executor's arguments)."""
    def objective():
        executor.forward(is_train=use_forward_train)
        total = 0.0
        for k, o in enumerate(executor.outputs):
            value = o.asnumpy().astype(np.float64)
            if projections is not None:
                value = value * projections[k]
            total += float(value.sum())
        return total
    approx = {}
    for name in location:
        base = executor.arg_dict[name]
        flat = base._data.reshape(-1)
        grad = np.zeros(flat.shape, dtype=np.float64)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps / 2
            fplus = objective()
            flat[i] = old - eps / 2
            fminus = objective()
            flat[i] = old
            grad[i] = (fplus - fminus) / eps
        approx[name] = grad.reshape(base.shape)
    return approx


def check_numeric_gradient(sym, location, aux_states=None, numeric_eps=None, rtol=None,
                           atol=None, grad_nodes=None, use_forward_train=True, ctx=None,
                           grad_stype_dict=None, dtype=np.float32):
    """Check `sym`'s gradients against central finite differences.

    The outputs are projected onto a fixed random direction (so the check covers every
    output element), and each input in `grad_nodes` (default: every float argument) is
    perturbed one element at a time. Loss outputs (which ignore head gradients) are
    checked as MXNet checks them: against the derivative of sum(output * projection) only
    when the op's gradient is that derivative.

    Examples
    --------
    >>> import numpy as np, mxlite as mx
    >>> x = mx.sym.var('x')
    >>> mx.test_utils.check_numeric_gradient(x * x, [np.array([1., 2.])], dtype=np.float64)
    """
    ctx = ctx or default_context()
    loc = _location_dict(sym, location, dtype)
    if grad_nodes is None:
        grad_nodes = [k for k, v in loc.items() if np.issubdtype(v.dtype, np.floating)]
        reqs = {k: 'write' for k in grad_nodes}
    elif isinstance(grad_nodes, dict):
        reqs = dict(grad_nodes)
        grad_nodes = list(grad_nodes)
    else:
        reqs = {k: 'write' for k in grad_nodes}
    rng = np.random.RandomState(1234)
    args = {k: array(v, ctx=ctx, dtype=v.dtype) for k, v in loc.items()}
    grads = {k: array(np.zeros_like(loc[k]), ctx=ctx, dtype=loc[k].dtype) for k in grad_nodes}
    ex = sym.bind(ctx, args=args, args_grad=grads, grad_req=reqs,
                  aux_states=_aux_dict(sym, aux_states, dtype))
    outs = ex.forward(is_train=use_forward_train)
    projs = [rng.normal(0, 1, size=o.shape) + 0.1 for o in outs]
    ex.backward([array(p, ctx=ctx, dtype=o._data.dtype) for p, o in zip(projs, outs)])
    analytic = {k: grads[k].asnumpy() for k in grad_nodes}
    ex_num = sym.bind(ctx, args={k: array(v, ctx=ctx, dtype=v.dtype) for k, v in loc.items()},
                      aux_states=_aux_dict(sym, aux_states, dtype), grad_req='null')
    # None: the step and tolerances of the output's dtype, as MXNet picks them
    from .test_utils_helpers import default_numeric_eps, get_tolerance
    eps = get_tolerance(outs[0].asnumpy(), numeric_eps, default_numeric_eps())
    numeric = numeric_grad(ex_num, [k for k in grad_nodes if reqs.get(k) != 'null'],
                           eps=eps, use_forward_train=use_forward_train,
                           projections=projs)
    for name, fd in numeric.items():
        assert_almost_equal(fd, analytic[name], rtol=rtol, atol=atol,
                            names=('NUMERICAL_%s' % name, 'BACKWARD_%s' % name))


def _expected_list(sym, expected, names_fn):
    if isinstance(expected, dict):
        names = names_fn()
        return [expected[n] for n in names if n in expected], [n for n in names if n in expected]
    return list(expected), None


def check_symbolic_forward(sym, location, expected, rtol=None, atol=None, aux_states=None,
                           ctx=None, equal_nan=False, dtype=np.float32):
    """Bind `sym` to `location`, run forward (inference) and compare with `expected`."""
    ctx = ctx or default_context()
    loc = _location_dict(sym, location, dtype)
    ex = sym.bind(ctx, args={k: array(v, ctx=ctx, dtype=v.dtype) for k, v in loc.items()},
                  aux_states=_aux_dict(sym, aux_states, dtype), grad_req='null')
    outs = ex.forward(is_train=False)
    exp = [expected[n] for n in sym.list_outputs()] if isinstance(expected, dict) else expected
    if len(exp) != len(outs):
        raise MXNetError('expected %d outputs, the symbol has %d' % (len(exp), len(outs)))
    for k, (e, o) in enumerate(zip(exp, outs)):
        assert_almost_equal(o, e, rtol=rtol, atol=1e-20 if atol is None else atol,
                            names=('output[%d]' % k, 'EXPECTED'), equal_nan=equal_nan)
    return [o.asnumpy() for o in outs]


def check_symbolic_backward(sym, location, out_grads, expected, rtol=None, atol=None,
                            aux_states=None, grad_req='write', ctx=None, grad_stypes=None,
                            equal_nan=False, dtype=np.float32):
    """Bind, run forward (training) and backward(out_grads); compare gradients."""
    ctx = ctx or default_context()
    loc = _location_dict(sym, location, dtype)
    names = sym.list_arguments()
    exp = expected if isinstance(expected, dict) else dict(zip(names, expected))
    if isinstance(grad_req, str):
        reqs = {k: grad_req for k in exp}
    elif isinstance(grad_req, dict):
        reqs = dict(grad_req)
    else:
        reqs = dict(zip(names, grad_req))
    args = {k: array(v, ctx=ctx, dtype=v.dtype) for k, v in loc.items()}
    init = {k: np.random.normal(size=loc[k].shape).astype(loc[k].dtype) for k in exp}
    grads = {k: array(init[k] if reqs.get(k) == 'add' else np.zeros_like(loc[k]), ctx=ctx,
                      dtype=loc[k].dtype) for k in exp}
    ex = sym.bind(ctx, args=args, args_grad=grads, grad_req=reqs,
                  aux_states=_aux_dict(sym, aux_states, dtype))
    ex.forward(is_train=True)
    if out_grads is not None:
        if isinstance(out_grads, dict):
            out_grads = [out_grads[n] for n in sym.list_outputs()]
        out_grads = [array(_np(g), ctx=ctx, dtype=_np(g).dtype) for g in out_grads]
    ex.backward(out_grads)
    for k, e in exp.items():
        if reqs.get(k) == 'null':
            continue
        want = _np(e) + (init[k] if reqs.get(k) == 'add' else 0)
        assert_almost_equal(grads[k], want, rtol=rtol, atol=1e-20 if atol is None else atol,
                            names=('BACKWARD_%s' % k, 'EXPECTED_%s' % k), equal_nan=equal_nan)
    return {k: v.asnumpy() for k, v in grads.items()}


def simple_forward(sym, ctx=None, is_train=False, **inputs):
    ctx = ctx or default_context()
    ex = sym.bind(ctx, args={k: array(v, ctx=ctx) for k, v in inputs.items()})
    outs = [o.asnumpy() for o in ex.forward(is_train=is_train)]
    return outs[0] if len(outs) == 1 else outs


def check_consistency(sym, ctx_list, scale=1.0, grad_req='write', arg_params=None,
                      aux_params=None, rtol=None, atol=None, raise_on_err=True,
                      ground_truth=None, equal_nan=False, use_uniform=False,
                      rand_type=np.float64, tol=None):
    """Run `sym` on every context/dtype in ctx_list and check they agree (forward and grads).

    Each entry of ctx_list is a dict with 'ctx', input shapes, and optionally 'type_dict'.
    The reference is the first run with the most precise output (or `ground_truth`);
    `rtol`/`atol` (numbers or dtype -> number dicts; None: the looser dtype's defaults)
    as MXNet 1.9.1; `tol` is the older single tolerance, still accepted.
    """
    if isinstance(sym, (list, tuple)):
        syms = list(sym)
    else:
        syms = [sym] * len(ctx_list)
    if tol is not None:   # the pre-1.6 single tolerance
        rtol = atol = tol
    exes = []
    for s, spec in zip(syms, ctx_list):
        spec = dict(spec)
        ctx = spec.pop('ctx')
        type_dict = spec.pop('type_dict', {})
        exes.append(s.simple_bind(ctx, grad_req=grad_req, type_dict=type_dict, **spec))
    arg_params = dict(arg_params or {})
    ref = exes[0]
    for name, arr in ref.arg_dict.items():
        if name not in arg_params:
            arg_params[name] = (np.random.uniform(-scale, scale, arr.shape) if use_uniform
                                else np.random.normal(size=arr.shape) * scale)
    aux_params = dict(aux_params or {})
    for name, arr in ref.aux_dict.items():
        aux_params.setdefault(name, np.zeros(arr.shape))
    results = []
    for ex in exes:
        for name, arr in ex.arg_dict.items():
            arr[:] = np.asarray(arg_params[name]).astype(arr.dtype)
        for name, arr in ex.aux_dict.items():
            arr[:] = np.asarray(aux_params[name]).astype(arr.dtype)
        outs = ex.forward(is_train=grad_req != 'null')
        if grad_req != 'null':
            ex.backward([array(np.ones(o.shape), dtype=o.dtype) for o in outs])
        results.append(([o.asnumpy() for o in outs],
                        {k: v.asnumpy() for k, v in ex.grad_dict.items() if v is not None}))
    if ground_truth is None:   # the first run whose first output is the most precise
        best = max(range(len(results)), key=lambda i: (results[i][0][0].dtype.itemsize, -i))
        gt_outs, gt_grads = results[best]
    else:
        gt_outs, gt_grads = ground_truth
    for outs, grads in results:
        try:
            for o, g in zip(outs, gt_outs):
                assert_almost_equal(o, g, rtol=rtol, atol=atol, equal_nan=equal_nan)
            for k, v in grads.items():
                assert_almost_equal(v, gt_grads[k], rtol=rtol, atol=atol, equal_nan=equal_nan)
        except AssertionError:
            if raise_on_err:
                raise
            logging.warning('check_consistency: a run differs from the reference',
                            exc_info=True)
    return results


def get_mnist(path=None):
    """MNIST as a dict of numpy arrays (train_data, train_label, test_data, test_label)."""
    from .io.mnist import load_mnist_dict
    return load_mnist_dict(path)


def list_gpus():
    """The ids of the GPUs mxlite can use: ``range(n)`` for n GPUs, empty without any.

    GPUs are those CuPy sees (`mx.context.num_gpus`); without CuPy there are none.

    Examples
    --------
    >>> import mxlite as mx
    >>> gpus = mx.test_utils.list_gpus()
    >>> ctx = [mx.gpu(i) for i in gpus] or [mx.cpu()]
    """
    from .context import num_gpus
    return range(num_gpus())


def _name_from_url(url):
    import urllib.parse
    # the last path segment, without a query string or fragment
    return urllib.parse.urlsplit(url).path.rstrip('/').split('/')[-1]


def download(url, fname=None, dirname=None, overwrite=False, retries=5):
    """Download `url` to a local file and return the file's name.

    Parameters
    ----------
    url : str
        What to fetch (any scheme `urllib.request` opens: http, https, ftp, file).
    fname : str, optional
        Name of the local file; by default the last segment of the URL's path.
    dirname : str, optional
        Directory to put `fname` in (created if missing); by default the directory
        part of `fname` (the current directory for a bare name).
    overwrite : bool, default False
        Download again when the file already exists; by default an existing file is
        kept and its name returned without any download.
    retries : int, default 5
        How many times to try (at least once) before the last error is raised.

    Returns
    -------
    str
        The path of the downloaded file.

    Notes
    -----
    The data goes to a temporary file beside the target and is renamed onto it only
    once complete, so a failed download leaves no partial file (MXNet writes in place).
    Retries are logged, not printed.

    Examples
    --------
    >>> import os, pathlib, tempfile
    >>> import mxlite as mx
    >>> src = pathlib.Path(tempfile.mkdtemp()) / 'hello.txt'
    >>> _ = src.write_text('hi')
    >>> out = mx.test_utils.download(src.as_uri(), dirname=tempfile.mkdtemp())
    >>> os.path.basename(out), open(out).read()
    ('hello.txt', 'hi')
    """
    import os
    import shutil
    import tempfile
    import urllib.request

    if isinstance(retries, bool) or not isinstance(retries, numbers.Integral) or retries < 0:
        raise ValueError('download: retries must be an integer >= 0, got %r' % (retries,))
    if fname is None:
        fname = _name_from_url(url)
        if not fname:
            raise ValueError('download: cannot guess a file name from %r; pass fname' % url)
    if dirname is None:
        dirname = os.path.dirname(fname)
    else:
        fname = os.path.join(dirname, fname)
    if dirname:
        os.makedirs(dirname, exist_ok=True)
    if not overwrite and os.path.exists(fname):
        logging.info('%s exists, skipping download', fname)
        return fname

    attempts = max(int(retries), 1)
    for attempt in range(1, attempts + 1):
        fd, partial = tempfile.mkstemp(prefix='.' + os.path.basename(fname) + '.',
                                       suffix='.part', dir=dirname or '.')
        try:
            with os.fdopen(fd, 'wb') as out, urllib.request.urlopen(url) as response:
                status = getattr(response, 'status', None)
                if status not in (None, 200):
                    raise OSError('download: failed to open %s: HTTP status %s'
                                  % (url, status))
                shutil.copyfileobj(response, out, 1 << 20)
            os.replace(partial, fname)
            break
        except Exception:
            if attempt == attempts:
                raise
            logging.warning('download of %s failed, retrying, %d attempt%s left', url,
                            attempts - attempt, 's' if attempts - attempt > 1 else '')
        finally:
            if os.path.exists(partial):   # not renamed: failed or interrupted
                os.remove(partial)
    logging.info('downloaded %s into %s successfully', url, fname)
    return fname


from .test_utils_stats import *  # noqa: E402,F401,F403  (more of MXNet test_utils)
from .test_utils_stats import __all__ as _stats_all  # noqa: E402
__all__ = __all__ + _stats_all
from .test_utils_helpers import *  # noqa: E402,F401,F403  (tolerances, generators, fixtures)
from .test_utils_helpers import __all__ as _helpers_all  # noqa: E402
__all__ = __all__ + _helpers_all
