"""Updater: applies an optimizer to (index, grad, weight) and owns the optimizer states.

`get_states` / `set_states` read and write MXNet 1.9.1's ``.states`` format -- a pickle
(protocol 4) of ``{index: state}``, or ``(states, optimizer)`` with
``dump_optimizer=True`` -- through `mxlite.safe_pickle`, the one reader and writer of
that format: files written here load in MXNet 1.x, and MXNet's files load here.

Reading never runs code from the file. `mxlite.safe_pickle.load_states` hands back plain
data, with the pickled optimizer (and its lr scheduler) as a `PickledObject` that
remembers the MXNet class name. The optimizer is then rebuilt here: its class is looked
up by that name in mxlite's optimizer registry (schedulers in `mxlite.lr_scheduler`),
created with ``klass.__new__(klass)`` without calling ``__init__``, and given only the
attributes it is known to have (`_OPTIMIZER_ATTRS`, `_SCHEDULER_ATTRS`), each checked for
its type. Anything else raises `MXNetError`, and the updater is left as it was.
"""
import re

import numpy as np

from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from ..safe_pickle import PickledObject, dump_states, load_states
from .. import lr_scheduler as _sched
from .base import Optimizer, Test
from .sgd import DCASGD, NAG, SGD, Signum
from .adaptive import (FTML, LAMB, AdaDelta, AdaGrad, Adam, Adamax, Ftrl, Nadam,
                       RMSProp)
from .lars import LARS

__all__ = ['Updater', 'get_updater']

_MX_OPTIMIZER_MODULE = 'mxnet.optimizer.optimizer'
_MX_SCHEDULER_MODULE = 'mxnet.lr_scheduler'
_MAX_DEPTH = 16


class Updater:
    """Update weights with an optimizer, keeping one optimizer state per index.

    ``updater(index, grad, weight)`` creates the state of `index` on first use and then
    calls ``optimizer.update_multi_precision``. `index`, `grad` and `weight` may also be
    equal-length lists (as `mx.model` passes them).

    Parameters
    ----------
    optimizer : Optimizer

    Examples
    --------
    >>> import mxlite as mx
    >>> updater = mx.optimizer.Updater(mx.optimizer.SGD(learning_rate=0.5, momentum=0.9))
    >>> w = mx.nd.array([1.0])
    >>> updater(0, mx.nd.array([1.0]), w)
    >>> updater(0, mx.nd.array([1.0]), w)
    >>> w.asnumpy(), updater.states[0].asnumpy()
    (array([-0.45], dtype=float32), array([-0.95], dtype=float32))
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}
        self.aggregate_updates = getattr(optimizer, 'aggregate_num', 0) > 0

    def __call__(self, index, grad, weight):
        if isinstance(index, (list, tuple)):
            indices, grads, weights = list(index), list(grad), list(weight)
            if not len(indices) == len(grads) == len(weights):
                raise MXNetError('Updater: %d indices, %d gradients and %d weights; expected '
                                 'as many of each' % (len(indices), len(grads), len(weights)))
        else:
            indices, grads, weights = [index], [grad], [weight]
        if weights:
            self.optimizer._set_current_context(weights[0].context.device_id)
        for i, idx in enumerate(indices):
            if isinstance(idx, bytes):
                indices[i] = idx = idx.decode()
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(idx, weights[i])
                self.states_synced[idx] = True
            elif not self.states_synced.get(idx, False):
                self.states[idx] = self.sync_state_context(self.states[idx], weights[i].context)
                self.states_synced[idx] = True
        for idx, g, w in zip(indices, grads, weights):
            self.optimizer.update_multi_precision(idx, w, g, self.states[idx])

    def sync_state_context(self, state, context):
        """Move a state (NDArray, or tuple/list of them) to `context`."""
        if isinstance(state, NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            synced = [self.sync_state_context(one, context) for one in state]
            return tuple(synced) if isinstance(state, tuple) else synced
        return state

    def set_states(self, states):
        """Load states from the bytes `get_states` (or MXNet's Updater) produced.

        Raises
        ------
        MXNetError
            For a corrupt file, or one holding anything but NDArray states and a known
            optimizer; the updater is then unchanged.
        """
        if isinstance(states, str):
            states = states.encode('latin-1')
        if not isinstance(states, (bytes, bytearray, memoryview)):
            raise TypeError('set_states expects the bytes of a .states file, got %s'
                            % type(states).__name__)
        loaded = load_states(bytes(states))
        optimizer = None
        if isinstance(loaded, tuple) and len(loaded) == 2:
            loaded, optimizer = loaded
            optimizer = optimizer_from_record(optimizer)
        new_states = _checked_states(loaded)
        # everything is checked: only now is the updater touched
        self.states = new_states
        if optimizer is not None:
            self.optimizer = optimizer
            self.aggregate_updates = optimizer.aggregate_num > 0
        self.states_synced = dict.fromkeys(self.states.keys(), False)

    def get_states(self, dump_optimizer=False):
        """The states as bytes (MXNet's ``.states`` format).

        Parameters
        ----------
        dump_optimizer : bool, default False
            Also save the optimizer (learning rate, schedule, update counts).
        """
        if dump_optimizer:
            return dump_states((self.states, optimizer_to_record(self.optimizer)))
        return dump_states(self.states)


def get_updater(optimizer):
    """An `Updater` for `optimizer` (what KVStore and `mx.model` call).

    Examples
    --------
    >>> import mxlite as mx
    >>> updater = mx.optimizer.get_updater(mx.optimizer.create('sgd', learning_rate=1.0))
    >>> w = mx.nd.array([1.0]); updater(0, mx.nd.array([0.25]), w); w.asnumpy()
    array([0.75], dtype=float32)
    """
    return Updater(optimizer)


# ---------------------------------------------------------------------- writing
def optimizer_to_record(optimizer):
    """The `PickledObject` MXNet would pickle for `optimizer` (its ``__getstate__``).

    The lr scheduler becomes a record too. Classes are written under MXNet's module
    paths (``mxnet.optimizer.optimizer.SGD``); a user-registered optimizer is written
    under the same path, which is where `optimizer_from_record` looks it up.
    """
    state = optimizer.__getstate__()
    if not isinstance(state, dict):
        raise TypeError('%s.__getstate__() returned a %s; optimizer states need a dict'
                        % (type(optimizer).__name__, type(state).__name__))
    record = PickledObject(_MX_OPTIMIZER_MODULE, type(optimizer).__name__)
    for name, value in state.items():
        if isinstance(value, _sched.LRScheduler):
            value = PickledObject(_MX_SCHEDULER_MODULE, type(value).__name__,
                                  vars(value))
        record[name] = value
    return record


# ---------------------------------------------------------------------- checks
def _describe(value):
    text = repr(value)
    return '%s %s' % (type(value).__name__, text if len(text) <= 60 else text[:57] + '...')


def _bad(where, expected, value):
    raise MXNetError('optimizer states: %s must be %s, got %s'
                     % (where, expected, _describe(value)))


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_num(v):
    return _is_int(v) or isinstance(v, (float, np.floating))


def _num(v, where):
    return v if _is_num(v) else _bad(where, 'a number', v)


def _int(v, where):
    return v if _is_int(v) else _bad(where, 'an integer', v)


def _bool(v, where):
    if isinstance(v, (bool, np.bool_)) or (_is_int(v) and v in (0, 1)):
        return v
    return _bad(where, 'a bool', v)


def _str(v, where):
    return v if isinstance(v, str) else _bad(where, 'a str', v)


def _key(v, where):
    return v if _is_int(v) or isinstance(v, str) else _bad(where, 'an int or str key', v)


def _maybe(check):
    return lambda v, where: None if v is None else check(v, where)


def _list_of(check):
    def checked(v, where):
        if not isinstance(v, list):
            _bad(where, 'a list', v)
        for i, one in enumerate(v):
            check(one, '%s[%d]' % (where, i))
        return v
    return checked


def _dict_of(check_key, check_value):
    # keeps the dict object itself: shared references (the update counters) stay shared
    def checked(v, where):
        if type(v) is not dict:         # noqa: E721  (a PickledObject is a dict too)
            _bad(where, 'a dict', v)
        for k, one in v.items():
            check_key(k, '%s key' % where)
            check_value(one, '%s[%r]' % (where, k))
        return v
    return checked


_COUNTS = _dict_of(_key, _int)


def _sym_info(v, where):
    # () or (symbol.attr_dict(), symbol.list_arguments())
    if v == ():
        return v
    if not (isinstance(v, (tuple, list)) and len(v) == 2):
        _bad(where, '() or (attr_dict, argument names)', v)
    _dict_of(_str, _dict_of(_str, _str))(v[0], where + '[0]')
    _list_of(_str)(v[1], where + '[1]')
    return v


def _dropped_dict(v, where):
    # param_dict: gluon Parameters are never in a file (MXNet pops them); re-attached later
    if not isinstance(v, dict) or v:
        _bad(where, 'an empty dict', v)
    return {}


def _warmup_mode(v, where):
    return v if v in ('linear', 'constant') else _bad(where, "'linear' or 'constant'", v)


def _ndarray(v, where):
    return v if isinstance(v, NDArray) else _bad(where, 'an NDArray', v)


def _state(v, where, depth=0):
    """One optimizer state: None, an NDArray, a number, or tuples/lists of them."""
    if v is None or isinstance(v, NDArray) or _is_num(v):
        return v
    if isinstance(v, (tuple, list)) and depth < _MAX_DEPTH:
        for i, one in enumerate(v):
            _state(one, '%s[%d]' % (where, i), depth + 1)
        return v
    return _bad(where, 'None, an NDArray or a tuple of them', v)


def _plain(v, where, depth=0):
    """Plain data for attributes of user-registered optimizers."""
    if v is None or isinstance(v, (bool, np.bool_, str, NDArray)) or _is_num(v):
        return v
    if depth < _MAX_DEPTH:
        if isinstance(v, (tuple, list)):
            for i, one in enumerate(v):
                _plain(one, '%s[%d]' % (where, i), depth + 1)
            return v
        if type(v) is dict:             # noqa: E721
            for k, one in v.items():
                _key(k, '%s key' % where)
                _plain(one, '%s[%r]' % (where, k), depth + 1)
            return v
    return _bad(where, 'numbers, strings, NDArrays or containers of them', v)


def _checked_states(states):
    if type(states) is not dict:        # noqa: E721
        _bad('the states', 'a dict of index -> state (or a (states, optimizer) pair)', states)
    out = {}
    for key, value in states.items():
        _key(key, 'a states key')
        key = int(key) if _is_int(key) else key
        out[key] = _state(value, 'the state of index %r' % (key,))
    return out


# ---------------------------------------------------------------------- known attributes
_REQUIRED = object()


def _const(value):
    return lambda attrs: value


# name -> (check, default): `default` is _REQUIRED or a function of the attributes read
# so far (for pickles from older MXNet versions, which lack the newer attributes)
_OPTIMIZER_ATTRS = {
    Optimizer: {
        'rescale_grad': (_num, _REQUIRED),
        'lr': (_maybe(_num), _REQUIRED),
        'wd': (_num, _REQUIRED),
        'num_update': (_int, _REQUIRED),
        'lr_scheduler': (lambda v, where: _scheduler_from_record(v, where),
                         _const(None)),
        'lr_mult': (_dict_of(_key, _num), lambda a: {}),
        'wd_mult': (_dict_of(_key, _num), lambda a: {}),
        'begin_num_update': (_int, _const(0)),
        '_index_update_count': (_COUNTS, lambda a: a.get('_all_index_update_counts',
                                                         {}).get(0, {})),
        '_all_index_update_counts': (_dict_of(_int, _COUNTS),
                                     lambda a: {0: a['_index_update_count']}),
        'clip_gradient': (_maybe(_num), _const(None)),
        'multi_precision': (_bool, _const(False)),
        'aggregate_num': (_int, _const(0)),
        'idx2name': (_dict_of(_key, _str), lambda a: {}),
        'sym_info': (_sym_info, _const(())),
        'param_dict': (_dropped_dict, lambda a: {}),
        'allow_np_array': (_bool, _const(False)),
    },
    Test: {},
    SGD: {'momentum': (_num, _REQUIRED), 'lazy_update': (_bool, _const(True))},
    NAG: {'momentum': (_num, _REQUIRED)},
    LARS: {'momentum': (_num, _REQUIRED), 'lazy_update': (_bool, _const(True)),
           'momentum_correction': (_bool, _const(True)), 'eta': (_num, _REQUIRED),
           'eps': (_num, _REQUIRED), 'skip': (_int, _const(0)),
           'last_lr': (_maybe(_num), _const(None)), 'cur_lr': (_maybe(_num), _const(None))},
    Signum: {'momentum': (_num, _REQUIRED), 'wd_lh': (_num, _REQUIRED)},
    DCASGD: {'momentum': (_num, _REQUIRED), 'lamda': (_num, _REQUIRED),
             'weight_previous': (_dict_of(_key, _ndarray), lambda a: {})},
    Adam: {'beta1': (_num, _REQUIRED), 'beta2': (_num, _REQUIRED),
           'epsilon': (_num, _REQUIRED), 'lazy_update': (_bool, _const(True))},
    Adamax: {'beta1': (_num, _REQUIRED), 'beta2': (_num, _REQUIRED)},
    Nadam: {'beta1': (_num, _REQUIRED), 'beta2': (_num, _REQUIRED),
            'epsilon': (_num, _REQUIRED), 'schedule_decay': (_num, _REQUIRED),
            'm_schedule': (_num, _REQUIRED)},
    AdaGrad: {'float_stable_eps': (_num, _REQUIRED)},
    AdaDelta: {'rho': (_num, _REQUIRED), 'epsilon': (_num, _REQUIRED)},
    RMSProp: {'gamma1': (_num, _REQUIRED), 'gamma2': (_num, _REQUIRED),
              'centered': (_bool, _REQUIRED), 'epsilon': (_num, _REQUIRED),
              'clip_weights': (_maybe(_num), _const(None))},
    FTML: {'beta1': (_num, _REQUIRED), 'beta2': (_num, _REQUIRED),
           'epsilon': (_num, _REQUIRED)},
    Ftrl: {'lamda1': (_num, _REQUIRED), 'beta': (_num, _REQUIRED)},
    LAMB: {'beta1': (_num, _REQUIRED), 'beta2': (_num, _REQUIRED),
           'epsilon': (_num, _REQUIRED), 'lower_bound': (_maybe(_num), _const(None)),
           'upper_bound': (_maybe(_num), _const(None)),
           'bias_correction': (_bool, _const(True))},
}

_SCHEDULER_ATTRS = {
    _sched.LRScheduler: {
        'base_lr': (_num, _REQUIRED),
        'warmup_steps': (_int, _const(0)),
        'warmup_final_lr': (_num, lambda a: a['base_lr']),
        'warmup_begin_lr': (_num, _const(0)),
        'warmup_mode': (_warmup_mode, _const('linear')),
    },
    _sched.FactorScheduler: {'step': (_int, _REQUIRED), 'factor': (_num, _REQUIRED),
                             'stop_factor_lr': (_num, _REQUIRED),
                             'count': (_int, _const(0))},
    _sched.MultiFactorScheduler: {'step': (_list_of(_int), _REQUIRED),
                                  'cur_step_ind': (_int, _const(0)),
                                  'factor': (_num, _REQUIRED), 'count': (_int, _const(0))},
    _sched.PolyScheduler: {'power': (_num, _REQUIRED), 'base_lr_orig': (_num, _REQUIRED),
                           'max_update': (_int, _REQUIRED), 'final_lr': (_num, _REQUIRED),
                           'max_steps': (_int, _REQUIRED)},
    _sched.CosineScheduler: {'base_lr_orig': (_num, _REQUIRED),
                             'max_update': (_int, _REQUIRED), 'final_lr': (_num, _REQUIRED),
                             'max_steps': (_int, _REQUIRED)},
}

_PUBLIC_NAME = re.compile(r'[A-Za-z][A-Za-z0-9_]*\Z')


def _known_attrs(klass, table):
    """The attributes of `klass`: those of every class in its MRO that the table knows."""
    known = {}
    for base in reversed(klass.__mro__):
        known.update(table.get(base, {}))
    return known


def _checked_attrs(record, klass, table, user_class):
    """The record's attributes, each checked; missing ones get their defaults.

    A user-registered class (defined outside mxlite) may also carry extra public
    attributes of plain data that do not hide anything its class defines.
    """
    known = _known_attrs(klass, table)
    where = klass.__name__
    attrs = {}
    for name, value in record.items():
        spec = known.get(name)
        if spec is not None:
            attrs[name] = spec[0](value, '%s.%s' % (where, name))
        elif (user_class and isinstance(name, str) and _PUBLIC_NAME.match(name)
              and not hasattr(klass, name)):
            attrs[name] = _plain(value, '%s.%s' % (where, name))
        else:
            raise MXNetError('optimizer states: refusing to set attribute %s on %s; a '
                             '.states file may only set the attributes %s has'
                             % (_describe(name), where, where))
    for name, (_, default) in known.items():
        if name not in attrs:
            if default is _REQUIRED:
                raise MXNetError('optimizer states: the pickled %s lacks its attribute %r'
                                 % (where, name))
            attrs[name] = default(attrs)
    return attrs


def _in_module(module, package):
    return module == package or module.startswith(package + '.')


def _scheduler_from_record(record, where):
    if record is None:
        return None
    if not (isinstance(record, PickledObject)
            and _in_module(record.mxnet_module, _MX_SCHEDULER_MODULE)):
        _bad(where, 'None or a pickled mxnet.lr_scheduler object', record)
    klass = vars(_sched).get(record.mxnet_name)
    if not (isinstance(klass, type) and issubclass(klass, _sched.LRScheduler)
            and klass.__module__ == _sched.__name__):
        raise MXNetError('optimizer states: %s is %s, which mxlite.lr_scheduler does not '
                         'have' % (where, record.mxnet_class))
    attrs = _checked_attrs(record, klass, _SCHEDULER_ATTRS, user_class=False)
    scheduler = klass.__new__(klass)
    scheduler.__dict__.update(attrs)
    return scheduler


def optimizer_from_record(record):
    """Rebuild an Optimizer from the `PickledObject` `load_states` gave for it.

    The class is found in the optimizer registry by the MXNet class name the record
    remembers; it is created with ``klass.__new__(klass)`` (no ``__init__``) and given
    only its known attributes, type-checked. Nothing is called from the file.

    Raises
    ------
    MXNetError
        For an unknown class, an unknown or ill-typed attribute or a missing one.
    """
    if not (isinstance(record, PickledObject)
            and _in_module(record.mxnet_module, 'mxnet.optimizer')):
        _bad('the optimizer', 'a pickled mxnet.optimizer object', record)
    name = record.mxnet_name
    klass = Optimizer.opt_registry.get(name.lower())
    if not (isinstance(klass, type) and issubclass(klass, Optimizer)
            and klass.__name__ == name):
        raise MXNetError('optimizer states: the optimizer is %s, which is not a registered '
                         'mxlite optimizer' % record.mxnet_class)
    user_class = not klass.__module__.startswith('mxlite.')
    attrs = _checked_attrs(record, klass, _OPTIMIZER_ATTRS, user_class)
    optimizer = klass.__new__(klass)
    optimizer.__dict__.update(attrs)
    return optimizer
