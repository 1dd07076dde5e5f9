"""Random sampling operators, drawing from the per-context Generator (`ctx.rng`, seeded by
`mx.random.seed`).

Three families per distribution, as in MXNet:

* ``_random_<d>``: scalar parameters, a `shape`, no inputs (``mx.nd.random.uniform(0, 1)``);
* ``_sample_<d>``: parameters given as arrays; one draw (or a `shape` of draws) per element,
  output shape ``param.shape + shape``;
* ``_random_<d>_like``: scalar parameters, the output shaped like the input.

plus ``_random_randint``, ``_sample_multinomial`` and ``_shuffle``.
"""
import numpy as np

from ._util import prod as _prod
from .registry import Bool, Enum, Float, Int, Operator, Shape, Str, register, shape_check

_FLOAT_DTYPES = ('float16', 'float32', 'float64')


class DTypeChoice(Enum):
    """One of a fixed set of dtype names; numpy dtypes and types are accepted too."""

    def from_value(self, value):
        if value is not None and not isinstance(value, str):
            value = np.dtype(value).name
        return super().from_value(value)


def _fill(out, values):
    np.copyto(out, values, casting='unsafe')


# Each sampler draws `size` values from numpy's Generator given parameters that broadcast
# against `size` (scalars or arrays shaped like the leading axes of `size`).
def _uniform(rng, size, low, high):
    u = rng.random(size)
    return low + (high - low) * u


def _normal(rng, size, loc, scale):
    return loc + scale * rng.standard_normal(size)


def _gamma(rng, size, alpha, beta):
    # alpha is the shape, beta the scale
    return rng.standard_gamma(np.broadcast_to(alpha, size)) * beta


def _exponential(rng, size, lam):
    return rng.standard_exponential(size) / lam


def _poisson(rng, size, lam):
    return rng.poisson(np.broadcast_to(lam, size))


def _negative_binomial(rng, size, k, p):
    # failures before the k-th success, success probability p: Poisson(Gamma(k, (1-p)/p))
    with np.errstate(divide='ignore', invalid='ignore'):
        lam = rng.standard_gamma(np.broadcast_to(np.asarray(k, np.float64), size)) * (1 - p) / p
    return rng.poisson(np.nan_to_num(lam, nan=0.0, posinf=0.0))


def _gen_negative_binomial(rng, size, mu, alpha):
    # mean mu, dispersion alpha: Poisson(Gamma(1/alpha, alpha*mu)); alpha=0 is Poisson(mu)
    mu = np.broadcast_to(np.asarray(mu, np.float64), size)
    alpha = np.broadcast_to(np.asarray(alpha, np.float64), size)
    with np.errstate(divide='ignore', invalid='ignore'):
        lam = np.where(alpha > 0, rng.standard_gamma(np.where(alpha > 0, 1 / alpha, 1.0))
                       * alpha * mu, mu)
    return rng.poisson(lam)


# name -> (parameter names and defaults for _random_<d>, input names of _sample_<d>,
#          sampler, doc)
DISTRIBUTIONS = {
    'uniform': ((('low', 0.0), ('high', 1.0)), ('low', 'high'), _uniform,
                'a uniform distribution on [low, high)'),
    'normal': ((('loc', 0.0), ('scale', 1.0)), ('mu', 'sigma'), _normal,
               'a normal distribution with mean loc and standard deviation scale'),
    'gamma': ((('alpha', 1.0), ('beta', 1.0)), ('alpha', 'beta'), _gamma,
              'a gamma distribution with shape alpha and scale beta'),
    'exponential': ((('lam', 1.0),), ('lam',), _exponential,
                    'an exponential distribution with rate lam'),
    'poisson': ((('lam', 1.0),), ('lam',), _poisson, 'a Poisson distribution of rate lam'),
    'negative_binomial': ((('k', 1), ('p', 1.0)), ('k', 'p'), _negative_binomial,
                          'a negative binomial distribution (k successes, probability p)'),
    'generalized_negative_binomial': (
        (('mu', 1.0), ('alpha', 1.0)), ('mu', 'alpha'), _gen_negative_binomial,
        'a generalized negative binomial distribution (mean mu, dispersion alpha)'),
}

# MXNet's public aliases of the _random_<d> records
_RANDOM_ALIASES = {'uniform': ('uniform', 'random_uniform'),
                   'normal': ('normal', 'random_normal')}


def _out_dtype(dtype, default='float32'):
    return np.dtype(default if dtype is None else dtype)


def _param_spec(name, default):
    if isinstance(default, int):
        return Int(default, doc='Distribution parameter %s.' % name)
    return Float(default, doc='Distribution parameter %s.' % name)


def _shape_doc(dist, what):
    return ('Draws samples from %s.\n\n%s\n\nExamples\n--------\n>>> import mxlite as mx\n'
            '>>> mx.random.seed(1)\n') % (DISTRIBUTIONS[dist][3], what)


# ----------------------------------------------------------------------------- _random_<d>
class _RandomBase(Operator):
    """No inputs; the output shape comes from `shape` (or, in a graph, from its consumer)."""
    dist = None
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return []

    def infer_shape(self, p, in_shapes):
        shape = tuple(p.shape) if p.shape else None
        if shape is not None:
            shape_check(all(d is not None and d >= 0 for d in shape),
                        'shape %s has negative or unknown dimensions', shape)
        return [], [shape]

    def infer_type(self, p, in_types):
        return [], [_out_dtype(p.dtype)]

    def _values(self, p):
        return [getattr(p, n) for n, _ in DISTRIBUTIONS[self.dist][0]]

    def forward(self, p, inputs, outputs, ctx):
        out = outputs[0]
        sampler = DISTRIBUTIONS[self.dist][2]
        _fill(out, sampler(ctx.rng, out.shape, *self._values(p)))

    def backward(self, p, ograds, inputs, outputs, ctx):
        return []


class _RandomUniform(_RandomBase):
    def forward(self, p, inputs, outputs, ctx):
        out = outputs[0]
        # draw straight into float32/float64 buffers
        if out.dtype in (np.float32, np.float64) and out.flags.c_contiguous:
            ctx.rng.random(out=out.reshape(-1), dtype=out.dtype)
            out *= out.dtype.type(p.high - p.low)
            out += out.dtype.type(p.low)
        else:
            super().forward(p, inputs, outputs, ctx)


class _RandomNormal(_RandomBase):
    def forward(self, p, inputs, outputs, ctx):
        out = outputs[0]
        if out.dtype in (np.float32, np.float64) and out.flags.c_contiguous:
            ctx.rng.standard_normal(out=out.reshape(-1), dtype=out.dtype)
            out *= out.dtype.type(p.scale)
            out += out.dtype.type(p.loc)
        else:
            super().forward(p, inputs, outputs, ctx)


_RANDOM_BASES = {'uniform': _RandomUniform, 'normal': _RandomNormal}


def _make_random(dist):
    pnames, _, _, _ = DISTRIBUTIONS[dist]
    params = {n: _param_spec(n, d) for n, d in pnames}
    params['shape'] = Shape((), doc='Shape of the output.')
    params['ctx'] = Str('', doc='Context of the output (imperative calls only).')
    params['dtype'] = DTypeChoice(_FLOAT_DTYPES, None, allow_none=True,
                           doc='Output dtype; float32 when None.')
    doc = _shape_doc(dist, 'Parameters\n----------\n' + ''.join(
        '%s : float, default %s\n' % (n, d) for n, d in pnames) +
        'shape : tuple of int\n    Shape of the output.\nctx : str\n    Context of the output.'
        '\ndtype : {None, float16, float32, float64}\n    Output dtype (float32 when None).')
    doc += '>>> mx.nd._internal._random_%s(shape=(2, 3)).shape\n(2, 3)\n' % dist
    name = '_random_' + dist
    cls = type('Random_' + dist, (_RANDOM_BASES.get(dist, _RandomBase),), {
        'name': name, 'dist': dist, 'params': params, 'doc': doc,
        'aliases': _RANDOM_ALIASES.get(dist, ('random_' + dist,))})
    register(cls)


# ----------------------------------------------------------------------------- _sample_<d>
class _SampleBase(Operator):
    """Parameters as arrays of equal shape; `shape` draws per element."""
    dist = None
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return list(DISTRIBUTIONS[self.dist][1])

    def infer_shape(self, p, in_shapes):
        known = next((s for s in in_shapes if s is not None), None)
        if known is None:
            return in_shapes, [None]
        names = self.list_arguments(p)
        for n, s in zip(names, in_shapes):
            shape_check(s is None or tuple(s) == tuple(known), "parameter '%s' has shape %s "
                        "but '%s' has shape %s; the parameter arrays need equal shapes",
                        n, s, names[0], known)
        return [tuple(known)] * len(in_shapes), [tuple(known) + tuple(p.shape or ())]

    def infer_type(self, p, in_types):
        known = next((t for t in in_types if t is not None), None)
        if p.dtype is not None:
            return in_types, [np.dtype(p.dtype)]
        if known is None:
            return in_types, [None]
        return in_types, [known if np.dtype(known).kind == 'f' else np.dtype(np.float32)]

    def forward(self, p, inputs, outputs, ctx):
        out = outputs[0]
        extra = len(p.shape or ())
        # parameters broadcast over the trailing `shape` axes
        params = [x.reshape(x.shape + (1,) * extra).astype(np.float64) for x in inputs]
        _fill(out, DISTRIBUTIONS[self.dist][2](ctx.rng, out.shape, *params))

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros_like(x) for x in inputs]


def _make_sample(dist):
    inputs = DISTRIBUTIONS[dist][1]
    doc = _shape_doc(dist, 'One draw per element of the parameter arrays (%s), or `shape` '
                     'draws each: the output shape is\n``%s.shape + shape``.\n\nParameters\n'
                     '----------\n%s : NDArray or Symbol\n    Parameters of equal shapes.\n'
                     'shape : tuple of int, default ()\n    Draws per distribution.\ndtype : '
                     '{None, float16, float32, float64}\n    Output dtype.'
                     % (', '.join(inputs), inputs[0], ', '.join(inputs)))
    doc += ('>>> mx.nd.sample_%s(%s, shape=2).shape\n(3, 2)\n'
            % (dist, ', '.join('mx.nd.ones((3,))' for _ in inputs)))
    cls = type('Sample_' + dist, (_SampleBase,), {
        'name': '_sample_' + dist, 'dist': dist, 'aliases': ('sample_' + dist,), 'doc': doc,
        'params': {'shape': Shape((), doc='Number of draws per distribution.'),
                   'dtype': DTypeChoice(_FLOAT_DTYPES, None, allow_none=True,
                                        doc='Output dtype.')}})
    register(cls)


# ----------------------------------------------------------------------------- _random_<d>_like
class _LikeBase(_RandomBase):
    """Shaped (and typed) like the input `data`."""
    def list_arguments(self, p):
        return ['data']

    def infer_shape(self, p, in_shapes):
        return in_shapes, [in_shapes[0]]

    def infer_type(self, p, in_types):
        return in_types, [in_types[0]]

    def forward(self, p, inputs, outputs, ctx):
        _RandomBase.forward(self, p, [], outputs, ctx)

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros_like(inputs[0])]


def _make_like(dist):
    pnames = DISTRIBUTIONS[dist][0]
    doc = _shape_doc(dist, 'The output has the shape and dtype of `data`.\n\nParameters\n'
                     '----------\ndata : NDArray or Symbol\n    Gives the output shape.\n' +
                     ''.join('%s : float, default %s\n' % (n, d) for n, d in pnames))
    doc += '>>> mx.nd._internal._random_%s_like(mx.nd.zeros((2, 2))).shape\n(2, 2)\n' % dist
    register(type('RandomLike_' + dist, (_LikeBase,), {
        'name': '_random_%s_like' % dist, 'dist': dist, 'doc': doc,
        'params': {n: _param_spec(n, d) for n, d in pnames}}))


for _dist in DISTRIBUTIONS:
    _make_random(_dist)
    _make_sample(_dist)
    _make_like(_dist)


# ----------------------------------------------------------------------------- randint
@register
class RandomRandint(_RandomBase):
    """Draws integers uniformly from [low, high).

    Parameters
    ----------
    low, high : int, required
        The half-open interval.
    shape : tuple of int
        Shape of the output.
    ctx : str
        Context of the output.
    dtype : {None, 'int32', 'int64'}
        Output dtype (int32 when None).

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.random.randint(0, 10, shape=(100,))
    >>> bool((x.asnumpy() >= 0).all() and (x.asnumpy() < 10).all())
    True
    """
    name = '_random_randint'
    aliases = ('random_randint',)
    params = {
        'low': Int(doc='Lower bound (inclusive).'),
        'high': Int(doc='Upper bound (exclusive).'),
        'shape': Shape((), doc='Shape of the output.'),
        'ctx': Str('', doc='Context of the output (imperative calls only).'),
        'dtype': DTypeChoice(('int32', 'int64'), None, allow_none=True,
                             doc='Output dtype; int32 when None.'),
    }

    def infer_type(self, p, in_types):
        return [], [_out_dtype(p.dtype, 'int32')]

    def forward(self, p, inputs, outputs, ctx):
        shape_check(p.low < p.high, 'randint needs low < high, got low=%d, high=%d',
                    p.low, p.high)
        out = outputs[0]
        _fill(out, ctx.rng.integers(p.low, p.high, size=out.shape, dtype=np.int64))


# ----------------------------------------------------------------------------- multinomial
@register
class SampleMultinomial(Operator):
    """Draws category indices from multinomial distributions given along the last axis.

    `data` of shape (d1, ..., dn-1, k) holds probabilities (summing to 1 along the last
    axis). The output has shape ``data.shape[:-1] + shape``. With ``get_prob=True`` a
    second output holds the log-probability of every draw; its head gradient flows back to
    `data` as ``g / p`` at the drawn category (the score-function estimator).

    Parameters
    ----------
    data : NDArray or Symbol
        The probabilities.
    shape : tuple of int, default ()
        Draws per distribution.
    get_prob : bool, default False
        Also return the log-likelihood of the draws.
    dtype : {'int32', 'uint8', 'float16', 'float32', 'float64'}, default 'int32'
        dtype of the drawn indices.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.sample_multinomial(mx.nd.array([[0., 1.], [1., 0.]])).asnumpy()
    array([1, 0], dtype=int32)
    """
    name = '_sample_multinomial'
    aliases = ('sample_multinomial',)
    params = {
        'shape': Shape((), doc='Draws per distribution.'),
        'get_prob': Bool(False, doc='Also output the log-probability of the draws.'),
        'dtype': DTypeChoice(('int32', 'uint8', 'float16', 'float32', 'float64'), 'int32',
                             doc='dtype of the drawn indices.'),
    }
    backward_uses_outputs = True

    def list_outputs(self, p):
        return ['output0', 'output1'] if p.get_prob else ['output']

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        n_out = 2 if p.get_prob else 1
        if data is None:
            return in_shapes, [None] * n_out
        shape_check(len(data) >= 1, 'data must have at least one dimension, got %s', data)
        out = tuple(data[:-1]) + tuple(p.shape or ())
        return in_shapes, [out or (1,)] * n_out

    def infer_type(self, p, in_types):
        types = [np.dtype(p.dtype)]
        if p.get_prob:
            types.append(in_types[0])
        return in_types, types

    def _draw(self, p, probs, rng):
        k = probs.shape[-1]
        dists = probs.reshape(-1, k).astype(np.float64)
        nd = dists.shape[0]
        draws = _prod(p.shape or ())
        cdf = np.cumsum(dists, axis=1)
        u = rng.random((nd, draws))
        # one searchsorted over all rows: shift row i's cdf and draws by 2*i
        offset = 2.0 * np.arange(nd)[:, None]
        idx = np.searchsorted((cdf + offset).ravel(), (u + offset).ravel(), side='right')
        idx = idx.reshape(nd, draws) - k * np.arange(nd)[:, None]
        return np.minimum(idx, k - 1)

    def forward(self, p, inputs, outputs, ctx):
        data = inputs[0]
        idx = self._draw(p, data, ctx.rng)
        _fill(outputs[0], idx.reshape(outputs[0].shape))
        if p.get_prob:
            flat = data.reshape(-1, data.shape[-1])
            picked = np.take_along_axis(flat, idx, axis=1)
            with np.errstate(divide='ignore'):
                _fill(outputs[1], np.log(picked).reshape(outputs[1].shape))

    def backward(self, p, ograds, inputs, outputs, ctx):
        data = inputs[0]
        grad = np.zeros_like(data)
        if not p.get_prob or len(ograds) < 2 or ograds[1] is None:
            return [grad]
        k = data.shape[-1]
        flat = data.reshape(-1, k)
        gflat = grad.reshape(-1, k)
        idx = outputs[0].reshape(flat.shape[0], -1).astype(np.int64)
        g = ograds[1].reshape(flat.shape[0], -1)
        rows = np.broadcast_to(np.arange(flat.shape[0])[:, None], idx.shape)
        with np.errstate(divide='ignore', invalid='ignore'):
            np.add.at(gflat, (rows, idx), g / flat[rows, idx])
        return [grad]


# ----------------------------------------------------------------------------- shuffle
@register
class Shuffle(Operator):
    """Randomly permutes the array along its first axis (rows keep their contents).

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.array([[0., 1.], [2., 3.], [4., 5.]])
    >>> sorted(mx.nd.random.shuffle(x).asnumpy()[:, 0].tolist())
    [0.0, 2.0, 4.0]
    """
    name = '_shuffle'
    aliases = ('shuffle',)
    backward_uses_inputs = False
    backward_uses_outputs = False

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        perm = ctx.rng.permutation(x.shape[0]) if x.ndim else None
        ctx.state['perm'] = perm
        if perm is None:
            outputs[0][...] = x
        else:
            np.take(x, perm, axis=0, out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        perm = ctx.state.get('perm')
        g = ograds[0]
        if perm is None:
            return [g]
        grad = np.empty_like(g)
        grad[perm] = g
        return [grad]

