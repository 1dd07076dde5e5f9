"""Weight initializers: ``mx.init`` / ``mx.initializer``, with MXNet 1.9.1's names and rules.

An initializer is called as ``init(desc, arr)``: `desc` is an `InitDesc` (a str, the
parameter's name, carrying the variable's attributes) and `arr` the NDArray to fill in
place. What gets filled with what is decided by

1. the variable's ``__init__`` attribute, if any (a JSON string such as
   ``'["zero", {}]'``, as written by ``mx.sym.Variable(init=...)`` and by operators such
   as BatchNorm for their auxiliary states), else
2. the end of the name: ``weight`` -> the initializer's own rule; ``bias``, ``beta``,
   ``moving_mean``, ``moving_inv_var``, ``moving_avg``, ``min`` -> 0; ``gamma``,
   ``moving_var``, ``max`` -> 1. Other names raise ValueError.

Random draws come from NumPy's global generator (``np.random``), which
``mx.random.seed`` seeds. MXNet draws from its own engine generator, so the same seed does
not give MXNet's numbers; distributions, shapes and scales are the same.
"""
import json
import logging
import re
import warnings

import numpy as np

from .base import MXNetError, did_you_mean, json_spec
from .ndarray.ndarray import NDArray

__all__ = ['InitDesc', 'Initializer', 'register', 'alias', 'create', 'Load', 'Mixed', 'Zero',
           'One', 'Constant', 'Uniform', 'Normal', 'Orthogonal', 'Xavier', 'MSRAPrelu',
           'Bilinear', 'LSTMBias', 'FusedRNN']

_REGISTRY = {}


class UnknownInitializerError(MXNetError, ValueError):
    """`create` was given a name that no registered initializer has."""


class InitDesc(str):
    """The name of a parameter to initialize, with its variable attributes.

    Parameters
    ----------
    name : str
        Parameter name.
    attrs : dict of str to str, optional
        The variable's attributes (``__init__`` among them).
    global_init : Initializer, optional
        The initializer that was called for the whole model.

    Examples
    --------
    >>> import mxlite as mx
    >>> desc = mx.init.InitDesc('fc1_weight', attrs={'__init__': '["one", {}]'})
    >>> arr = mx.nd.zeros((2, 2)); mx.init.Uniform()(desc, arr); arr.asnumpy()
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """

    def __new__(cls, name, attrs=None, global_init=None):
        ret = super().__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


def register(klass):
    """Register an Initializer subclass under its lower-cased class name.

    Examples
    --------
    >>> import mxlite as mx
    >>> @mx.init.register
    ... class Threes(mx.init.Initializer):
    ...     def _init_weight(self, name, arr):
    ...         arr[:] = 3
    >>> arr = mx.nd.zeros((2,)); mx.init.create('threes')._init_weight('w', arr)
    >>> arr.asnumpy()
    array([3., 3.], dtype=float32)
    """
    if not (isinstance(klass, type) and issubclass(klass, Initializer)):
        raise TypeError('Can only register subclass of Initializer, got %r' % (klass,))
    name = klass.__name__.lower()
    if name in _REGISTRY and _REGISTRY[name] is not klass:
        warnings.warn('New initializer %s.%s is overriding existing initializer %s.%s' % (
            klass.__module__, klass.__name__, _REGISTRY[name].__module__,
            _REGISTRY[name].__name__), stacklevel=2)
    _REGISTRY[name] = klass
    return klass


def alias(*aliases):
    """Decorator registering extra names for an initializer class."""
    def reg(klass):
        for name in aliases:
            _REGISTRY[name.lower()] = klass
        return klass
    return reg


def create(*args, **kwargs):
    """An initializer from a name, a JSON string (see `Initializer.dumps`) or an instance.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.init.create('["xavier", {"magnitude": 2}]').magnitude
    2.0
    >>> type(mx.init.create('zeros')).__name__
    'Zero'
    """
    if args:
        name, args = args[0], args[1:]
    else:
        name = kwargs.pop('initializer')
    if isinstance(name, Initializer):
        if args or kwargs:
            raise ValueError('%s is already an initializer; it takes no extra arguments'
                             % name)
        return name
    if isinstance(name, dict):
        return create(**name)
    if not isinstance(name, str):
        raise TypeError('initializer must be a str, dict or Initializer, got %r' % (name,))
    spec = json_spec(name, args, kwargs, 'initializer string')
    if spec is not None:
        return create(*spec[0], **spec[1])
    klass = _REGISTRY.get(name.lower())
    if klass is None:
        raise UnknownInitializerError('%s is not registered. Please register with '
                                      'initializer.register first%s'
                                      % (name, did_you_mean(name.lower(), _REGISTRY)))
    return klass(*args, **kwargs)


def _target(arr):
    if not isinstance(arr, NDArray):
        raise TypeError('arr must be NDArray, got %s' % type(arr).__name__)
    return arr._data


def _fill(arr, value):
    _target(arr)[...] = value


def _draw(kind, a, b, shape):
    return np.random.uniform(a, b, size=shape) if kind == 'uniform' \
        else np.random.normal(a, b, size=shape)


class Initializer:
    """The base class of initializers.

    Subclasses define ``_init_weight(name, arr)``; biases, gammas, betas and BatchNorm
    statistics get the fixed values described in the module docstring.

    Examples
    --------
    >>> import mxlite as mx
    >>> init = mx.init.Xavier()
    >>> b = mx.nd.ones((3,)); init(mx.init.InitDesc('fc_bias'), b); b.asnumpy()
    array([0., 0., 0.], dtype=float32)
    >>> init.dumps()
    '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]'
    """

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        """Log every initialized array's statistic (``print_func(arr)``, default |x|/sqrt(n))."""
        self._verbose = verbose
        if print_func is None:
            def print_func(x):
                data = np.asarray(x.asnumpy(), dtype=np.float64)
                return str(np.sqrt((data ** 2).sum()) / np.sqrt(max(data.size, 1)))
        self._print_func = print_func
        return self

    def _verbose_print(self, desc, init, arr):
        if self._verbose and self._print_func:
            logging.info('Initialized %s as %s: %s', desc, init, self._print_func(arr))

    def dumps(self):
        """The JSON string ``[name, kwargs]`` that `create` turns back into this initializer."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__,
                           ', '.join('%s=%r' % kv for kv in self._kwargs.items()))

    def __call__(self, desc, arr):
        """Fill `arr` in place for the parameter described by `desc`."""
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get('__init__', '')
        if init:
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        kind = _by_suffix(desc)
        if kind is None:
            self._init_default(desc, arr)
        else:
            getattr(self, '_init_' + kind)(desc, arr)
            self._verbose_print(desc, kind, arr)

    def _legacy_init(self, name, arr):
        """Name-only initialization (a plain str instead of an InitDesc)."""
        if not isinstance(name, str):
            raise TypeError('name must be string, got %r' % (name,))
        _target(arr)
        if name.startswith('upsampling'):
            self._init_bilinear(name, arr)
        elif name.startswith('stn_loc') and name.endswith('weight'):
            self._init_zero(name, arr)
        elif name.startswith('stn_loc') and name.endswith('bias'):
            self._init_loc_bias(name, arr)
        else:
            kind = _by_suffix(name)
            if kind is None:
                self._init_default(name, arr)
            else:
                getattr(self, '_init_' + kind)(name, arr)

    # fixed patterns
    def _init_bilinear(self, _, arr):
        shape = arr.shape
        if len(shape) != 4:
            raise ValueError('bilinear initialization needs a 4-D weight, got shape %s'
                             % (shape,))
        f = np.ceil(shape[3] / 2.)
        c = (2 * f - 1 - f % 2) / (2. * f)
        wx = 1 - np.abs(np.arange(shape[3]) / f - c)
        wy = 1 - np.abs(np.arange(shape[2]) / f - c)
        _fill(arr, np.outer(wy, wx).astype(np.float32))

    def _init_loc_bias(self, _, arr):
        if arr.shape[0] != 6:
            raise ValueError('stn_loc bias must have 6 values, got shape %s' % (arr.shape,))
        _fill(arr, np.array([1.0, 0, 0, 0, 1.0, 0]))

    def _init_zero(self, _, arr):
        _fill(arr, 0.0)

    def _init_one(self, _, arr):
        _fill(arr, 1.0)

    def _init_bias(self, _, arr):
        _fill(arr, 0.0)

    def _init_gamma(self, _, arr):
        _fill(arr, 1.0)

    def _init_beta(self, _, arr):
        _fill(arr, 0.0)

    def _init_weight(self, name, arr):
        raise NotImplementedError('%s must define _init_weight' % type(self).__name__)

    def _init_default(self, name, _):
        raise ValueError(
            'Unknown initialization pattern for %s. Default initialization is now limited '
            'to "weight", "bias", "gamma" (1.0), and "beta" (0.0). Please use '
            'mx.sym.Variable(init=mx.init.*) to set initialization pattern' % name)


# name suffix -> _init_<kind>; checked in this order
_SUFFIXES = (('weight', 'weight'), ('bias', 'bias'), ('gamma', 'gamma'), ('beta', 'beta'),
             ('moving_mean', 'zero'), ('moving_var', 'one'), ('moving_inv_var', 'zero'),
             ('moving_avg', 'zero'), ('min', 'zero'), ('max', 'one'))


def _by_suffix(name):
    for suffix, kind in _SUFFIXES:
        if name.endswith(suffix):
            return kind
    return None


class Load:
    """Initialize from saved arrays (a file name or a dict), else with `default_init`.

    ``arg:``/``aux:`` prefixes of ``.params`` files are dropped.

    Parameters
    ----------
    param : str or dict of str to NDArray
    default_init : Initializer, optional
        For names not in `param`.
    verbose : bool, default False
        Log what was loaded.

    Examples
    --------
    >>> import mxlite as mx
    >>> init = mx.init.Load({'arg:fc_weight': mx.nd.ones((2,))}, default_init=mx.init.Zero())
    >>> w = mx.nd.zeros((2,)); init('fc_weight', w); w.asnumpy()
    array([1., 1.], dtype=float32)
    """

    def __init__(self, param, default_init=None, verbose=False):
        if isinstance(param, str):
            from .ndarray import load
            param = load(param)
        if not isinstance(param, dict):
            raise TypeError('Load needs a dict of name -> NDArray (or a file holding one)')
        self.param = {}
        for name, arr in param.items():
            if name.startswith('arg:') or name.startswith('aux:'):
                name = name[4:]
            self.param[name] = arr
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name, arr):
        if name in self.param:
            src = self.param[name]
            if tuple(arr.shape) != tuple(src.shape):
                raise MXNetError('Parameter %s cannot be initialized from loading. Shape '
                                 'mismatch, target %s vs loaded %s'
                                 % (name, arr.shape, src.shape))
            _fill(arr, src._data if isinstance(src, NDArray) else np.asarray(src))
            if self.verbose:
                logging.info('Initialized %s by loading', name)
        else:
            if self.default_init is None:
                raise MXNetError('Cannot Initialize %s. Not found in loaded param and no '
                                 'default Initializer is provided.' % name)
            self.default_init(name, arr)
            if self.verbose:
                logging.info('Initialized %s by default', name)


class Mixed:
    """Pick the initializer of the first regular expression that matches the name.

    Parameters
    ----------
    patterns : list of str
        Regular expressions (``re.match``).
    initializers : list of Initializer

    Examples
    --------
    >>> import mxlite as mx
    >>> init = mx.init.Mixed(['fc2', '.*'], [mx.init.Constant(0.5), mx.init.Zero()])
    >>> w = mx.nd.ones((2,)); init('fc2_weight', w); w.asnumpy()
    array([0.5, 0.5], dtype=float32)
    """

    def __init__(self, patterns, initializers):
        if len(patterns) != len(initializers):
            raise ValueError('Mixed needs one initializer per pattern (%d patterns, %d '
                             'initializers)' % (len(patterns), len(initializers)))
        self.map = list(zip([re.compile(p) for p in patterns], initializers))

    def __call__(self, name, arr):
        for prog, init in self.map:
            if prog.match(name):
                init(name, arr)
                return
        raise ValueError('Parameter name %s did not match any pattern. Consider add a ".*" '
                         'pattern at the and with default Initializer.' % name)


@register
@alias('zeros')
class Zero(Initializer):
    """Fill weights with 0.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.ones((2,)); mx.init.Zero()('fc_weight', w); w.asnumpy()
    array([0., 0.], dtype=float32)
    """

    def _init_weight(self, _, arr):
        _fill(arr, 0)


@register
@alias('ones')
class One(Initializer):
    """Fill weights with 1.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.zeros((2,)); mx.init.One()('fc_weight', w); w.asnumpy()
    array([1., 1.], dtype=float32)
    """

    def _init_weight(self, _, arr):
        _fill(arr, 1)


@register
class Constant(Initializer):
    """Fill weights with `value` (a scalar or anything that broadcasts to the shape).

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.zeros((2,)); mx.init.Constant(0.25)('prelu_gamma', w); w.asnumpy()
    array([1., 1.], dtype=float32)
    >>> mx.init.Constant(0.25)._init_weight('prelu_gamma', w); w.asnumpy()
    array([0.25, 0.25], dtype=float32)
    """

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _, arr):
        value = self.value
        _fill(arr, value._data if isinstance(value, NDArray) else value)

    def dumps(self):
        value = self._kwargs['value']
        if not np.isscalar(value):
            value = value.asnumpy() if isinstance(value, NDArray) else np.asarray(value)
            value = value.tolist()
        return json.dumps([self.__class__.__name__.lower(), dict(self._kwargs, value=value)])


@register
class Uniform(Initializer):
    """Weights from U(-scale, scale).

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.zeros((1000,)); mx.init.Uniform(0.1)('fc_weight', w)
    >>> bool(abs(w.asnumpy()).max() <= 0.1)
    True
    """

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        _fill(arr, _draw('uniform', -self.scale, self.scale, arr.shape))


@register
class Normal(Initializer):
    """Weights from N(0, sigma**2).

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.zeros((10000,)); mx.init.Normal(0.5)('fc_weight', w)
    >>> round(float(w.asnumpy().std()), 1)
    0.5
    """

    def __init__(self, sigma=0.01):
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        _fill(arr, _draw('normal', 0, self.sigma, arr.shape))


@register
class Orthogonal(Initializer):
    """Orthogonal rows (or columns) scaled by `scale`, from the SVD of a random matrix.

    Parameters
    ----------
    scale : float, default 1.414
    rand_type : {'uniform', 'normal'}, default 'uniform'

    Examples
    --------
    >>> import numpy as np, mxlite as mx
    >>> w = mx.nd.zeros((3, 5)); mx.init.Orthogonal(scale=1.0)('fc_weight', w)
    >>> bool(np.allclose(w.asnumpy() @ w.asnumpy().T, np.eye(3), atol=1e-5))
    True
    """

    def __init__(self, scale=1.414, rand_type='uniform'):
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, _, arr):
        nout = arr.shape[0]
        nin = int(np.prod(arr.shape[1:]))
        if self.rand_type == 'uniform':
            tmp = np.random.uniform(-1.0, 1.0, size=(nout, nin))
        elif self.rand_type == 'normal':
            tmp = np.random.normal(0.0, 1.0, size=(nout, nin))
        else:
            raise ValueError('Unknown random type %r' % (self.rand_type,))
        u, _, v = np.linalg.svd(tmp, full_matrices=False)
        res = u if u.shape == tmp.shape else v
        _fill(arr, self.scale * res.reshape(arr.shape))


@register
class Xavier(Initializer):
    """Xavier/Glorot initialization scaled by the fan-in/fan-out.

    ``scale = sqrt(magnitude / factor)`` with factor ``(fan_in + fan_out) / 2`` ('avg'),
    ``fan_in`` ('in') or ``fan_out`` ('out'), where for a weight of shape
    ``(out, in, *kernel)`` ``fan_in = in * prod(kernel)`` and
    ``fan_out = out * prod(kernel)``. Draws from U(-scale, scale) ('uniform') or
    N(0, scale**2) ('gaussian').

    Parameters
    ----------
    rnd_type : {'uniform', 'gaussian'}, default 'uniform'
    factor_type : {'avg', 'in', 'out'}, default 'avg'
    magnitude : float, default 3

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.zeros((100, 50)); mx.init.Xavier()('fc_weight', w)
    >>> bool(abs(w.asnumpy()).max() <= (3 / 75) ** 0.5)
    True
    """

    def __init__(self, rnd_type='uniform', factor_type='avg', magnitude=3):
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name, arr):
        shape = arr.shape
        if len(shape) < 2:
            raise ValueError('Xavier initializer cannot be applied to vector {0}. It requires '
                             'at least 2D.'.format(name))
        hw_scale = float(np.prod(shape[2:])) if len(shape) > 2 else 1.
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        factors = {'avg': (fan_in + fan_out) / 2.0, 'in': fan_in, 'out': fan_out}
        if self.factor_type not in factors:
            raise ValueError('Incorrect factor type %r; expected avg, in or out'
                             % (self.factor_type,))
        scale = np.sqrt(self.magnitude / factors[self.factor_type])
        if self.rnd_type == 'uniform':
            _fill(arr, _draw('uniform', -scale, scale, shape))
        elif self.rnd_type == 'gaussian':
            _fill(arr, _draw('normal', 0, scale, shape))
        else:
            raise ValueError('Unknown random type %r; expected uniform or gaussian'
                             % (self.rnd_type,))


@register
class MSRAPrelu(Xavier):
    """He/MSRA initialization for PReLU nets: gaussian Xavier, magnitude 2/(1 + slope**2).

    Parameters
    ----------
    factor_type : {'avg', 'in', 'out'}, default 'avg'
    slope : float, default 0.25
        Initial slope of the PReLU units.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.init.MSRAPrelu(slope=0.0).magnitude
    2.0
    """

    def __init__(self, factor_type='avg', slope=0.25):
        magnitude = 2. / (1 + slope ** 2)
        super().__init__('gaussian', factor_type, magnitude)
        self._kwargs = {'factor_type': factor_type, 'slope': slope}


@register
class Bilinear(Initializer):
    """Bilinear-upsampling kernels for a 4-D Deconvolution weight.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.zeros((1, 1, 4, 4)); mx.init.Bilinear()('up_weight', w)
    >>> w.asnumpy()[0, 0, 0]
    array([0.0625, 0.1875, 0.1875, 0.0625], dtype=float32)
    """

    def _init_weight(self, name, arr):
        self._init_bilinear(name, arr)


@register
class LSTMBias(Initializer):
    """LSTM bias: 0 everywhere except `forget_bias` on the forget gate (2nd quarter).

    Examples
    --------
    >>> import mxlite as mx
    >>> b = mx.nd.ones((8,)); mx.init.LSTMBias(forget_bias=1.0)._init_weight('b', b)
    >>> b.asnumpy()
    array([0., 0., 1., 1., 0., 0., 0., 0.], dtype=float32)
    """

    def __init__(self, forget_bias=1.0):
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name, arr):
        data = _target(arr)
        data[...] = 0.0
        num_hidden = int(arr.shape[0] / 4)
        data[num_hidden:2 * num_hidden] = self.forget_bias


_RNN_GATES = {'rnn_relu': [''], 'rnn_tanh': [''], 'lstm': ['_i', '_f', '_c', '_o'],
              'gru': ['_r', '_z', '_o']}


@register
class FusedRNN(Initializer):
    """Initialize the packed parameter vector of the fused `RNN` operator piece by piece.

    The vector is split into the per-layer, per-direction, per-gate weights and biases
    (cuDNN's layout, named like ``l0_i2h_f_weight``); each is initialized with `init`
    (or the model's global initializer when `init` is None). For LSTMs every forget-gate
    bias (i2h and h2h) is set to `forget_bias`.

    Parameters
    ----------
    init : Initializer or str or None
    num_hidden : int
    num_layers : int
    mode : {'rnn_relu', 'rnn_tanh', 'lstm', 'gru'}
    bidirectional : bool, default False
    forget_bias : float, default 1.0

    Examples
    --------
    >>> import mxlite as mx
    >>> init = mx.init.FusedRNN(mx.init.One(), num_hidden=2, num_layers=1, mode='lstm')
    >>> p = mx.nd.zeros((4 * 2 * (3 + 2 + 2),))     # input size 3
    >>> init._init_weight(mx.init.InitDesc('lstm_parameters'), p)
    >>> p.asnumpy()[-16:].tolist()
    [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    """

    def __init__(self, init, num_hidden, num_layers, mode, bidirectional=False,
                 forget_bias=1.0):
        if isinstance(init, str):
            init = create(init)
        if mode not in _RNN_GATES:
            raise ValueError('mode must be one of %s, got %r' % (sorted(_RNN_GATES), mode))
        super().__init__(init=init.dumps() if init is not None else None,
                         num_hidden=num_hidden, num_layers=num_layers, mode=mode,
                         bidirectional=bidirectional, forget_bias=forget_bias)
        self._init = init
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._forget_bias = forget_bias

    def _slices(self, size):
        """(name, offset, shape) of every piece of a packed vector of `size` values."""
        gates = _RNN_GATES[self._mode]
        dirs = ['l', 'r'] if self._bidirectional else ['l']
        b, m, h = len(dirs), len(gates), self._num_hidden
        num_input = size // b // h // m - (self._num_layers - 1) * (h + b * h + 2) - h - 2
        if num_input <= 0:
            raise MXNetError('FusedRNN: a parameter vector of %d values is too small for %d '
                             'layer(s) of %d hidden units' % (size, self._num_layers, h))
        pieces, pos = [], 0
        for layer in range(self._num_layers):
            width = num_input if layer == 0 else b * h
            for d in dirs:
                for kind, cols in (('i2h', width), ('h2h', h)):
                    for gate in gates:
                        pieces.append(('%s%d_%s%s_weight' % (d, layer, kind, gate), pos,
                                       (h, cols)))
                        pos += h * cols
        for layer in range(self._num_layers):
            for d in dirs:
                for kind in ('i2h', 'h2h'):
                    for gate in gates:
                        pieces.append(('%s%d_%s%s_bias' % (d, layer, kind, gate), pos, (h,)))
                        pos += h
        if pos != size:
            raise MXNetError('FusedRNN: Invalid parameters size for FusedRNNCell: %d values '
                             'do not split into %s layers' % (size, self._num_layers))
        return pieces

    def _init_weight(self, desc, arr):
        data = _target(arr)
        flat = data.reshape(-1)
        global_init = getattr(desc, 'global_init', None)
        for name, pos, shape in self._slices(flat.size):
            piece = NDArray(flat[pos:pos + int(np.prod(shape))].reshape(shape), arr.context)
            if self._mode == 'lstm' and name.endswith('_f_bias'):
                piece._data[...] = self._forget_bias
            elif self._init is None:
                if global_init is None:
                    raise MXNetError('FusedRNN(init=None) needs a global initializer '
                                     '(call it with an InitDesc from Module.init_params)')
                global_init(InitDesc(name, global_init=global_init), piece)
            else:
                self._init(InitDesc(name, global_init=global_init), piece)
        if not np.shares_memory(flat, data):
            data[...] = flat.reshape(data.shape)
