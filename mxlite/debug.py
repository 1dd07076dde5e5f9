"""Debugging aids: stop at the first operator that produces NaN or Inf.

``mx.debug.set_nan_check(True)`` (or ``with mx.debug.nan_check(): ...``, or the
environment variable ``MXLITE_NAN_CHECK=1`` read when an executor is created) makes
`Executor.forward` and `Executor.backward` check every operator's results as it runs and
raise `NaNCheckError` (an `MXNetError`) at the first non-finite value, naming the
operator, the node, the line of user code that created the node, the pass (forward or
backward) and the output or input gradient concerned. Imperative ``mx.nd`` calls are
checked too while the switch is on.

The executor's default loop is untouched: it takes the checked path below only when the
check or a monitor is on, so the check costs nothing when it is off.
"""
import contextlib
import os
import threading
from time import perf_counter_ns as _clock

import numpy as np

from .base import MXNetError

__all__ = ['set_nan_check', 'is_nan_check', 'nan_check', 'NaNCheckError', 'check_finite']

# read by Executor.forward/backward on every call (one attribute lookup); see set_nan_check
_NAN_CHECK = False
# mx.profiler sets this to its recorder while it times executor steps; the executor then
# takes the loops below (see mxlite/profiler.py)
_PROFILE = None
_ENV_TRUE = ('1', 'true', 'yes', 'on')


class NaNCheckError(MXNetError, FloatingPointError):
    """A non-finite value found by the NaN check.

    Attributes
    ----------
    op : str or None
        Operator name (``'Convolution'``), None for an argument or head gradient.
    node : str or None
        The node's name (``'conv1'``).
    user_line : str or None
        ``'file.py:12'`` where the node was created, when known.
    phase : str
        ``'forward'`` or ``'backward'``.
    what : str
        Which value: ``"output 0 ('conv1_output')"``, ``"gradient of input 'weight'
        ('conv1_weight')"``, ``"argument 'data'"``...
    """

    def __init__(self, message, op=None, node=None, user_line=None, phase=None, what=None):
        super().__init__(message)
        self.op, self.node, self.user_line = op, node, user_line
        self.phase, self.what = phase, what


def env_nan_check():
    """True when the environment variable MXLITE_NAN_CHECK asks for the check."""
    return os.environ.get('MXLITE_NAN_CHECK', '').strip().lower() in _ENV_TRUE


def set_nan_check(enabled):
    """Turn the NaN/Inf check on or off for executors and imperative calls.

    Parameters
    ----------
    enabled : bool

    Returns
    -------
    bool
        The previous setting.

    Examples
    --------
    >>> import mxlite as mx
    >>> prev = mx.debug.set_nan_check(True)
    >>> try:
    ...     mx.nd.log(mx.nd.array([-1.0]))
    ... except mx.MXNetError as err:
    ...     print(str(err).split(':')[0])
    NaN check
    >>> _ = mx.debug.set_nan_check(prev)
    """
    global _NAN_CHECK
    prev = _NAN_CHECK
    _NAN_CHECK = bool(enabled)
    if _NAN_CHECK:
        _imperative_hook.install()
    else:
        _imperative_hook.uninstall()
    return prev


def is_nan_check():
    """Whether the NaN/Inf check is on (set by `set_nan_check` or `nan_check`).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.debug.is_nan_check()
    False
    """
    return _NAN_CHECK


@contextlib.contextmanager
def nan_check(enabled=True):
    """Context manager: the NaN/Inf check is on inside the block, restored after it.

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.sym.var('x')
    >>> ex = mx.sym.sqrt(x, name='root').bind(mx.cpu(), {'x': mx.nd.array([-4.0])})
    >>> with mx.debug.nan_check():
    ...     try:
    ...         ex.forward()
    ...     except mx.MXNetError as err:
    ...         print(err.op, err.node, err.phase)
    sqrt root forward
    """
    prev = set_nan_check(enabled)
    try:
        yield
    finally:
        set_nan_check(prev)


# ---------------------------------------------------------------------- checking values
def _describe_bad(a):
    """None when `a` is all finite (or not floating point), else a short description."""
    if a.dtype.kind not in 'fc' or a.size == 0:
        return None
    # min/max propagate NaN and expose +-inf without allocating a mask
    lo, hi = a.min(), a.max()
    if bool(np.isfinite(lo)) and bool(np.isfinite(hi)):
        return None
    a = a.get() if hasattr(a, 'get') and not isinstance(a, np.ndarray) else np.asarray(a)
    nan = np.isnan(a)
    inf = np.isinf(a)
    parts = []
    n_nan = int(nan.sum())
    if n_nan:
        parts.append('%d NaN' % n_nan)
    n_pos = int((inf & (a > 0)).sum()) if a.dtype.kind == 'f' else int(inf.sum())
    n_neg = int(inf.sum()) - n_pos
    if n_pos:
        parts.append('%d +inf' % n_pos if a.dtype.kind == 'f' else '%d inf' % n_pos)
    if n_neg:
        parts.append('%d -inf' % n_neg)
    first = np.unravel_index(int(np.flatnonzero(nan | inf)[0]), a.shape)
    return '%s among %d values, first at index %s' % (
        ' and '.join(parts), a.size, tuple(int(i) for i in first))


def check_finite(array, name='array'):
    """Raise `NaNCheckError` if `array` (NDArray or numpy) holds NaN or Inf.

    Parameters
    ----------
    array : NDArray or numpy.ndarray
    name : str
        Used in the message.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.debug.check_finite(mx.nd.ones((2, 2)), 'ones')
    >>> try:
    ...     mx.debug.check_finite(mx.nd.array([1.0, float('nan')]), 'x')
    ... except mx.MXNetError as err:
    ...     print(err)
    NaN check: x holds 1 NaN among 2 values, first at index (1,)
    """
    data = getattr(array, '_data', array)
    bad = _describe_bad(np.asarray(data))
    if bad:
        raise NaNCheckError('NaN check: %s holds %s' % (name, bad), what=name)


def _op_error(node, phase, what, bad, detail=''):
    return NaNCheckError('NaN check: %s produced non-finite values in %s, %s%s: %s' % (
        node.where(), phase, what, detail, bad), op=node.op.name, node=node.name,
        user_line=node.user_line, phase=phase, what=what)


def _check_args(exe):
    for name, arr in zip(exe._arg_names, exe.arg_arrays):
        bad = _describe_bad(arr._data)
        if bad:
            raise NaNCheckError("NaN check: argument '%s' holds %s before forward (it is an "
                                "input of the graph, not produced by an operator)"
                                % (name, bad), phase='forward', what="argument '%s'" % name)
    for name, arr in zip(exe._aux_names, exe.aux_arrays):
        bad = _describe_bad(arr._data)
        if bad:
            raise NaNCheckError("NaN check: aux state '%s' holds %s before forward"
                                % (name, bad), phase='forward', what="aux state '%s'" % name)


# ---------------------------------------------------------------------- executor slow paths
_running = threading.local()  # the graph node whose kernel is running


def run_forward(exe, is_train):
    """Executor.forward when a monitor, the NaN check or the profiler is on (see
    Executor.forward)."""
    from .ndarray.ndarray import NDArray
    check = exe._nan_check or _NAN_CHECK
    prof = _PROFILE
    monitor, monitor_all = exe._monitor, exe._monitor_all
    nodes = exe._graph.nodes
    ctx = exe._ctx
    if check:
        _check_args(exe)
    for fwd, p, ins, outs, octx, i in exe._fwd_steps:
        node = nodes[i]
        if monitor is not None and monitor_all:
            # as MXNet: a variable input under its own name, then every input as node_input
            for (src, _), buf in zip(node.inputs, ins):
                if src.op is None:
                    monitor(src.name, NDArray(buf, ctx))
            for name, buf in zip(node.input_names(), ins):
                monitor('%s_%s' % (node.name, name), NDArray(buf, ctx))
        octx.is_train = is_train
        _running.node = node  # imperative checks inside the kernel (a CustomOp) name it
        t0 = _clock() if prof else 0
        try:
            fwd(p, ins, outs, octx)
        except MXNetError as exc:   # as the executor's own loop: name the node
            from .executor import _at_node
            raise _at_node(exc, node) from None
        finally:
            _running.node = None
        if prof:
            prof(node, False, t0, ctx)
        if check:
            for k, (name, buf) in enumerate(zip(node.output_names(), outs)):
                bad = _describe_bad(buf)
                if bad:
                    detail = ''
                    if k >= node.num_visible_outputs():
                        detail = ' (a hidden output)'
                    raise _op_error(node, 'forward', "output %d ('%s')" % (k, name), bad,
                                    detail)
        if monitor is not None:
            for name, buf in zip(node.output_names(), outs):
                monitor(name, NDArray(buf, ctx))


def run_backward(exe, is_train):
    """The gradient loop of Executor.backward when a monitor, the NaN check or the
    profiler is on.

    Monitors see each gradient that is used as ``<node>_backward_<k>`` (k: the forward
    input), the names MXNet's backward nodes have.
    """
    from .ndarray.ndarray import NDArray
    check = exe._nan_check or _NAN_CHECK
    prof = _PROFILE
    monitor = exe._monitor
    g = exe._graph
    nodes = g.nodes
    ctx = exe._ctx
    if check:
        bp = exe._backward_plan
        outputs = exe._symbol.list_outputs()
        for k, e in enumerate(g.heads):
            buf = exe._grad_buffers.get(e) if e in bp.head_needs_grad else None
            bad = None if buf is None else _describe_bad(buf)
            if bad:
                raise NaNCheckError("NaN check: the head gradient of output %d ('%s') holds %s"
                                    % (k, outputs[k], bad), phase='backward',
                                    what='head gradient %d' % k)
    for bwd, p, ograds, ins, outs, octx, targets, i in exe._bwd_steps:
        octx.is_train = is_train
        t0 = _clock() if prof else 0
        node = nodes[i]
        try:
            grads = bwd(p, ograds, ins, outs, octx)
        except MXNetError as exc:
            from .executor import _at_node
            raise _at_node(exc, node, 'backward') from None
        if prof:
            prof(node, True, t0, ctx)
        if check:
            names = node.input_names()
            for slot, gval in enumerate(grads):
                if gval is None or targets[slot] is None:
                    continue
                bad = _describe_bad(np.asarray(gval))
                if bad:
                    src, k = node.inputs[slot]
                    fed_by = src.name if src.op is None else src.output_names()[k]
                    raise _op_error(node, 'backward', "the gradient of input '%s' (fed by "
                                    "'%s')" % (names[slot], fed_by), bad)
        if monitor is not None:
            for slot, gval in enumerate(grads):
                if gval is not None and targets[slot] is not None:
                    monitor('%s_backward_%d' % (node.name, slot), NDArray(gval, ctx))
        from .executor import assign_grads
        assign_grads(targets, grads)


# ---------------------------------------------------------------------- imperative calls
class _ImperativeHook:
    """Wraps mxlite.ndarray.register.invoke while the check is on.

    Every mx.nd operator function calls `invoke` through its module's globals, so
    swapping it reaches them all (names bound at import, like ``mx.nd.invoke``, are not
    checked). Off, the original function is back in place: nothing is added to the
    imperative path.
    """

    def __init__(self):
        self.original = None

    def install(self):
        from .ndarray import register
        if self.original is not None:
            return
        original = register.invoke

        def checked_invoke(op, inputs, attrs, out=None, ctx=None):
            result = original(op, inputs, attrs, out=out, ctx=ctx)
            _check_imperative(op, result)
            return result
        checked_invoke.__wrapped__ = original
        self.original = original
        register.invoke = checked_invoke

    def uninstall(self):
        from .ndarray import register
        if self.original is None:
            return
        register.invoke = self.original
        self.original = None


_imperative_hook = _ImperativeHook()


def _check_imperative(op, result):
    from .graph.ir import caller_line
    from .ops import registry
    arrays = result if isinstance(result, (list, tuple)) else [result]
    for k, arr in enumerate(arrays):
        data = getattr(arr, '_data', None)
        if data is None:
            continue
        bad = _describe_bad(data)
        if bad:
            name = op if isinstance(op, str) else op.name
            if isinstance(op, str):
                found = registry.find(op)
                name = found.name if found is not None else op
            line = caller_line()
            node = getattr(_running, 'node', None)
            inside = ' while running %s' % node.where() if node is not None else ''
            raise NaNCheckError('NaN check: mx.nd.%s%s%s produced non-finite values in '
                                'output %d: %s'
                                % (name, ' (called at %s)' % line if line else '', inside,
                                   k, bad),
                                op=name, user_line=line, phase='forward',
                                what='output %d' % k)
