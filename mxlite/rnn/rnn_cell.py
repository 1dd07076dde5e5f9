"""Recurrent cells that build symbolic graphs (MXNet 1.x's ``mx.rnn`` cells).

A cell maps ``(inputs, states)`` of one time step to ``(output, new_states)``; `unroll`
applies it over a sequence. The graphs these cells build are node for node the ones
MXNet 1.9.1 builds (same operators, names and attributes), so models written with
``mx.rnn`` and saved by MXNet load and run here, and symbols built here save as MXNet
would. `FusedRNNCell` runs a whole stack through the fused ``RNN`` operator instead and
can be turned into the equivalent stack of plain cells with `FusedRNNCell.unfuse`.
"""
import numpy as np

from .. import symbol
from ..base import MXNetError
from ..ndarray.ndarray import NDArray, array

# the fused and modifier cells live in fused.py / modifiers.py and are served lazily here
__all__ = ['RNNParams', 'BaseRNNCell', 'RNNCell', 'LSTMCell', 'GRUCell', 'FusedRNNCell',  # noqa
           'SequentialRNNCell', 'BidirectionalCell', 'DropoutCell', 'ModifierCell',
           'ZoneoutCell', 'ResidualCell']


class RNNParams:
    """The variables of a cell, created on first use and shared by name.

    Parameters
    ----------
    prefix : str
        Prepended to every name given to `get`.

    Examples
    --------
    >>> import mxlite as mx
    >>> params = mx.rnn.RNNParams('lstm_')
    >>> params.get('i2h_weight').name
    'lstm_i2h_weight'
    """

    def __init__(self, prefix=''):
        self._prefix = prefix
        self._params = {}

    def get(self, name, **kwargs):
        """The variable ``prefix + name`` (kwargs such as ``init`` apply on creation)."""
        name = self._prefix + name
        if name not in self._params:
            self._params[name] = symbol.Variable(name, **kwargs)
        return self._params[name]


def _normalize_sequence(length, inputs, layout, merge, in_layout=None):
    """Inputs as a list of per-step symbols (merge=False) or one symbol with a time axis
    (merge=True); None keeps what was given. Returns (inputs, time axis of `layout`)."""
    if inputs is None:
        raise MXNetError('unroll: inputs is None; pass a symbol or a list of symbols')
    axis = layout.find('T')
    if axis < 0:
        raise MXNetError("layout '%s' has no time axis 'T'; use 'NTC' or 'TNC'" % layout)
    in_axis = in_layout.find('T') if in_layout is not None else axis
    if isinstance(inputs, symbol.Symbol):
        if merge is False:
            if len(inputs.list_outputs()) != 1:
                raise MXNetError('unroll does not take a grouped symbol as inputs; pass '
                                 'list(inputs) or one symbol with a time axis')
            inputs = list(symbol.split(inputs, axis=in_axis, num_outputs=length,
                                       squeeze_axis=1))
    else:
        if length is not None and len(inputs) != length:
            raise MXNetError('unroll: length=%d but %d inputs were given'
                             % (length, len(inputs)))
        if merge is True:
            inputs = [symbol.expand_dims(i, axis=axis) for i in inputs]
            inputs = symbol.Concat(*inputs, dim=axis)
            in_axis = axis
    if isinstance(inputs, symbol.Symbol) and axis != in_axis:
        inputs = symbol.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis


def _as_numpy(value):
    return value.asnumpy() if isinstance(value, NDArray) else np.asarray(value)


def _like(value, data):
    """`data` (numpy) as an NDArray on the context and with the dtype of `value`."""
    if isinstance(value, NDArray):
        return array(data, ctx=value.context, dtype=value.dtype)
    return array(data, dtype=np.asarray(value).dtype)


class BaseRNNCell:
    """Abstract base of recurrent cells.

    Parameters
    ----------
    prefix : str
        Prefix of the names of the cell's variables and nodes.
    params : RNNParams, optional
        Share variables with another cell; a fresh container by default.
    """
    # gate suffixes used to name the per-gate pieces in unpack_weights
    _gate_names = ()

    def __init__(self, prefix='', params=None):
        if params is None:
            params = RNNParams(prefix)
            self._own_params = True
        else:
            self._own_params = False
        self._prefix = prefix
        self._params = params
        self._modified = False
        self.reset()

    def reset(self):
        """Reset the step counters (before building a new graph)."""
        self._init_counter = -1
        self._counter = -1
        for cell in getattr(self, '_cells', ()):
            cell.reset()

    def __call__(self, inputs, states):
        """One step: (output symbol, list of new state symbols)."""
        raise NotImplementedError()

    @property
    def params(self):
        """The cell's RNNParams (taking them out means the cell no longer owns them)."""
        self._own_params = False
        return self._params

    @property
    def state_info(self):
        """One dict per state ({'shape': ..., '__layout__': ...}); 0 = unknown size."""
        raise NotImplementedError()

    @property
    def state_shape(self):
        return [ele['shape'] for ele in self.state_info]

    @property
    def prefix(self):
        return self._prefix

    def begin_state(self, func=symbol.zeros, **kwargs):
        """Initial states, one symbol per entry of `state_info`, made by `func`
        (``mx.sym.zeros`` by default) and named ``<prefix>begin_state_<i>``."""
        if self._modified:
            raise MXNetError('after a modifier cell (e.g. DropoutCell, ZoneoutCell) wraps '
                             'this cell, call begin_state on the modifier instead')
        states = []
        for info in self.state_info:
            self._init_counter += 1
            if info is not None:
                kwargs.update(info)
            states.append(func(name='%sbegin_state_%d' % (self._prefix, self._init_counter),
                               **kwargs))
        return states

    def unpack_weights(self, args):
        """Split the i2h/h2h weights and biases of `args` into per-gate arrays
        (``<prefix>i2h_f_weight``...), the form FusedRNNCell and checkpoints use."""
        args = dict(args)
        if not self._gate_names:
            return args
        h = self._num_hidden
        for group in ('i2h', 'h2h'):
            w_in = args.pop('%s%s_weight' % (self._prefix, group))
            b_in = args.pop('%s%s_bias' % (self._prefix, group))
            weight, bias = _as_numpy(w_in), _as_numpy(b_in)
            for j, gate in enumerate(self._gate_names):
                args['%s%s%s_weight' % (self._prefix, group, gate)] = _like(
                    w_in, weight[j * h:(j + 1) * h])
                args['%s%s%s_bias' % (self._prefix, group, gate)] = _like(
                    b_in, bias[j * h:(j + 1) * h])
        return args

    def pack_weights(self, args):
        """The inverse of `unpack_weights`: per-gate arrays back into i2h/h2h arrays."""
        args = dict(args)
        if not self._gate_names:
            return args
        for group in ('i2h', 'h2h'):
            for kind in ('weight', 'bias'):
                parts = [args.pop('%s%s%s_%s' % (self._prefix, group, gate, kind))
                         for gate in self._gate_names]
                data = np.concatenate([_as_numpy(x) for x in parts])
                args['%s%s_%s' % (self._prefix, group, kind)] = _like(parts[0], data)
        return args

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        """Apply the cell `length` times.

        Parameters
        ----------
        length : int
        inputs : Symbol with a time axis (per `layout`) or a list of `length` symbols
        begin_state : list of Symbol, optional (default: `begin_state()`)
        layout : {'NTC', 'TNC'}
        merge_outputs : bool or None
            True: one symbol with a time axis; False: a list of per-step symbols;
            None: whichever the cell produces most cheaply.

        Returns
        -------
        (outputs, states)
        """
        self.reset()
        inputs, _ = _normalize_sequence(length, inputs, layout, False)
        if begin_state is None:
            begin_state = self.begin_state()
        states = begin_state
        outputs = []
        for i in range(length):
            output, states = self(inputs[i], states)
            outputs.append(output)
        outputs, _ = _normalize_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def _get_activation(self, inputs, activation, **kwargs):
        if isinstance(activation, str):
            return symbol.Activation(inputs, act_type=activation, **kwargs)
        return activation(inputs, **kwargs)


class _DenseCell(BaseRNNCell):
    """RNNCell, LSTMCell and GRUCell: all gates come from one i2h and one h2h
    FullyConnected layer (the gates stacked on their output axis, `_gate_names` in order),
    and each of the `_num_states` states has shape (batch, num_hidden)."""
    _num_states = 1

    def __init__(self, num_hidden, prefix, params, i2h_bias_init=None):
        super().__init__(prefix=prefix, params=params)
        self._num_hidden = num_hidden
        self._iW = self.params.get('i2h_weight')
        bias_kwargs = {} if i2h_bias_init is None else {'init': i2h_bias_init}
        self._iB = self.params.get('i2h_bias', **bias_kwargs)
        self._hW = self.params.get('h2h_weight')
        self._hB = self.params.get('h2h_bias')

    @property
    def state_info(self):
        return [{'shape': (0, self._num_hidden), '__layout__': 'NC'}
                for _ in range(self._num_states)]

    def _dense_step(self, inputs, prev_h, sep=''):
        """Start one step: ``(name, i2h, h2h)``, the step's node-name prefix
        (``<prefix>t<i>_``) and its two FullyConnected layers, named
        ``<name><sep>i2h`` and ``<name><sep>h2h``."""
        self._counter += 1
        name = '%st%d_' % (self._prefix, self._counter)
        nh = self._num_hidden * len(self._gate_names)
        i2h = symbol.FullyConnected(data=inputs, weight=self._iW, bias=self._iB,
                                    num_hidden=nh, name='%s%si2h' % (name, sep))
        h2h = symbol.FullyConnected(data=prev_h, weight=self._hW, bias=self._hB,
                                    num_hidden=nh, name='%s%sh2h' % (name, sep))
        return name, i2h, h2h


class RNNCell(_DenseCell):
    """Elman RNN cell: ``h' = activation(W_i x + b_i + W_h h + b_h)``.

    Parameters
    ----------
    num_hidden : int
    activation : str or callable, default 'tanh'
    prefix : str, default 'rnn_'
    params : RNNParams, optional

    Examples
    --------
    >>> import mxlite as mx
    >>> cell = mx.rnn.RNNCell(8, prefix='rnn_')
    >>> out, states = cell.unroll(3, mx.sym.var('data'), merge_outputs=True)
    >>> out.infer_shape(data=(2, 3, 4))[1]
    [(2, 3, 8)]
    """
    _gate_names = ('',)

    def __init__(self, num_hidden, activation='tanh', prefix='rnn_', params=None):
        super().__init__(num_hidden, prefix, params)
        self._activation = activation

    def __call__(self, inputs, states):
        name, i2h, h2h = self._dense_step(inputs, states[0])
        output = self._get_activation(i2h + h2h, self._activation, name='%sout' % name)
        return output, [output]


class LSTMCell(_DenseCell):
    """LSTM cell (gates i, f, c, o stacked in that order in the i2h/h2h weights).

    Parameters
    ----------
    num_hidden : int
    prefix : str, default 'lstm_'
    params : RNNParams, optional
    forget_bias : float, default 1.0
        Initial value of the forget gate's bias (the i2h bias gets an LSTMBias init).

    Examples
    --------
    >>> import mxlite as mx
    >>> cell = mx.rnn.LSTMCell(16, prefix='lstm_')
    >>> out, states = cell.unroll(5, mx.sym.var('data'), layout='NTC', merge_outputs=True)
    >>> sorted(out.list_arguments())
    ['data', 'lstm_h2h_bias', 'lstm_h2h_weight', 'lstm_i2h_bias', 'lstm_i2h_weight']
    """
    _gate_names = ('_i', '_f', '_c', '_o')
    _num_states = 2   # h, c

    def __init__(self, num_hidden, prefix='lstm_', params=None, forget_bias=1.0):
        from ..initializer import LSTMBias
        super().__init__(num_hidden, prefix, params,
                         i2h_bias_init=LSTMBias(forget_bias=forget_bias))

    def __call__(self, inputs, states):
        name, i2h, h2h = self._dense_step(inputs, states[0])
        gates = symbol.SliceChannel(i2h + h2h, num_outputs=4, name='%sslice' % name)
        in_gate = symbol.Activation(gates[0], act_type='sigmoid', name='%si' % name)
        forget_gate = symbol.Activation(gates[1], act_type='sigmoid', name='%sf' % name)
        in_transform = symbol.Activation(gates[2], act_type='tanh', name='%sc' % name)
        out_gate = symbol.Activation(gates[3], act_type='sigmoid', name='%so' % name)
        next_c = symbol._internal._plus(forget_gate * states[1], in_gate * in_transform,
                                        name='%sstate' % name)
        next_h = symbol._internal._mul(out_gate, symbol.Activation(next_c, act_type='tanh'),
                                       name='%sout' % name)
        return next_h, [next_h, next_c]


class GRUCell(_DenseCell):
    """GRU cell with MXNet's (cuDNN's) formula: the reset gate scales the h2h part of
    the candidate, ``n = tanh(W_n x + b_n + r * (R_n h + b'_n))``; gates r, z, n.

    Parameters
    ----------
    num_hidden : int
    prefix : str, default 'gru_'
    params : RNNParams, optional
    """
    _gate_names = ('_r', '_z', '_o')

    def __init__(self, num_hidden, prefix='gru_', params=None):
        super().__init__(num_hidden, prefix, params)

    def __call__(self, inputs, states):
        prev_h = states[0]
        # MXNet names these nodes with a doubled underscore ('gru_t0__i2h'); kept as is
        name, i2h, h2h = self._dense_step(inputs, prev_h, sep='_')
        i2h_r, i2h_z, i2h = symbol.SliceChannel(i2h, num_outputs=3, name='%s_i2h_slice' % name)
        h2h_r, h2h_z, h2h = symbol.SliceChannel(h2h, num_outputs=3, name='%s_h2h_slice' % name)
        reset_gate = symbol.Activation(i2h_r + h2h_r, act_type='sigmoid',
                                       name='%s_r_act' % name)
        update_gate = symbol.Activation(i2h_z + h2h_z, act_type='sigmoid',
                                        name='%s_z_act' % name)
        candidate = symbol.Activation(i2h + reset_gate * h2h, act_type='tanh',
                                      name='%s_h_act' % name)
        next_h = symbol._internal._plus((1. - update_gate) * candidate, update_gate * prev_h,
                                        name='%sout' % name)
        return next_h, [next_h]


# ----------------------------------------------------------------------------- containers
class _CellGroup(BaseRNNCell):
    """SequentialRNNCell and BidirectionalCell: cells in `_cells`, whose states and
    weights are those of the cells, in order."""

    @property
    def state_info(self):
        return sum([c.state_info for c in self._cells], [])

    def begin_state(self, **kwargs):
        if self._modified:
            raise MXNetError('after a modifier cell wraps this cell, call begin_state on '
                             'the modifier instead')
        return sum([c.begin_state(**kwargs) for c in self._cells], [])

    def unpack_weights(self, args):
        for cell in self._cells:
            args = cell.unpack_weights(args)
        return args

    def pack_weights(self, args):
        for cell in self._cells:
            args = cell.pack_weights(args)
        return args


class SequentialRNNCell(_CellGroup):
    """A stack of cells applied one after the other (the output of one is the input of
    the next); states are the concatenation of the cells' states.

    Examples
    --------
    >>> import mxlite as mx
    >>> stack = mx.rnn.SequentialRNNCell()
    >>> stack.add(mx.rnn.LSTMCell(8, prefix='l0_'))
    >>> stack.add(mx.rnn.LSTMCell(8, prefix='l1_'))
    >>> len(stack.state_info)
    4
    """

    def __init__(self, params=None):
        super().__init__(prefix='', params=params)
        self._override_cell_params = params is not None
        self._cells = []

    def add(self, cell):
        """Append a cell to the stack."""
        self._cells.append(cell)
        if self._override_cell_params:
            if not cell._own_params:
                raise MXNetError('either specify params for SequentialRNNCell or for the '
                                 'child cells, not both')
            cell.params._params.update(self.params._params)
        self.params._params.update(cell.params._params)

    def __call__(self, inputs, states):
        self._counter += 1
        next_states = []
        p = 0
        for cell in self._cells:
            if isinstance(cell, BidirectionalCell):
                raise MXNetError('a BidirectionalCell cannot be stepped; use unroll')
            n = len(cell.state_info)
            inputs, state = cell(inputs, states[p:p + n])
            p += n
            next_states.extend(state)
        return inputs, next_states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        if begin_state is None:
            begin_state = self.begin_state()
        p = 0
        next_states = []
        last = len(self._cells) - 1
        for i, cell in enumerate(self._cells):
            n = len(cell.state_info)
            states = begin_state[p:p + n]
            p += n
            inputs, states = cell.unroll(length, inputs=inputs, begin_state=states,
                                         layout=layout,
                                         merge_outputs=None if i < last else merge_outputs)
            next_states.extend(states)
        return inputs, next_states


class BidirectionalCell(_CellGroup):
    """Runs `l_cell` forwards and `r_cell` backwards in time and concatenates their
    outputs (feature axis). Only `unroll` is supported; the returned states are
    ``[l_states, r_states]`` (a nested list, as in MXNet).

    Parameters
    ----------
    l_cell, r_cell : BaseRNNCell
    params : RNNParams, optional
    output_prefix : str, default 'bi_'
    """

    def __init__(self, l_cell, r_cell, params=None, output_prefix='bi_'):
        super().__init__('', params=params)
        self._output_prefix = output_prefix
        self._override_cell_params = params is not None
        if self._override_cell_params:
            if not (l_cell._own_params and r_cell._own_params):
                raise MXNetError('either specify params for BidirectionalCell or for the '
                                 'child cells, not both')
            l_cell.params._params.update(self.params._params)
            r_cell.params._params.update(self.params._params)
        self.params._params.update(l_cell.params._params)
        self.params._params.update(r_cell.params._params)
        self._cells = [l_cell, r_cell]

    def __call__(self, inputs, states):
        raise NotImplementedError('BidirectionalCell cannot be stepped; use unroll')

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        inputs, axis = _normalize_sequence(length, inputs, layout, False)
        if begin_state is None:
            begin_state = self.begin_state()
        l_cell, r_cell = self._cells
        nl = len(l_cell.state_info)
        l_outputs, l_states = l_cell.unroll(length, inputs=inputs,
                                            begin_state=begin_state[:nl], layout=layout,
                                            merge_outputs=merge_outputs)
        r_outputs, r_states = r_cell.unroll(length, inputs=list(reversed(inputs)),
                                            begin_state=begin_state[nl:], layout=layout,
                                            merge_outputs=merge_outputs)
        if merge_outputs is None:
            merge_outputs = (isinstance(l_outputs, symbol.Symbol) and
                             isinstance(r_outputs, symbol.Symbol))
            if not merge_outputs:
                if isinstance(l_outputs, symbol.Symbol):
                    l_outputs = list(symbol.SliceChannel(l_outputs, axis=axis,
                                                         num_outputs=length, squeeze_axis=1))
                if isinstance(r_outputs, symbol.Symbol):
                    r_outputs = list(symbol.SliceChannel(r_outputs, axis=axis,
                                                         num_outputs=length, squeeze_axis=1))
        if merge_outputs:
            l_outputs = [l_outputs]
            r_outputs = [symbol.reverse(r_outputs, axis=axis)]
        else:
            r_outputs = list(reversed(r_outputs))
        outputs = [symbol.Concat(l_o, r_o, dim=1 + merge_outputs,
                                 name=('%sout' % self._output_prefix if merge_outputs
                                       else '%st%d' % (self._output_prefix, i)))
                   for i, (l_o, r_o) in enumerate(zip(l_outputs, r_outputs))]
        if merge_outputs:
            outputs = outputs[0]
        return outputs, [l_states, r_states]



def __getattr__(name):
    # the fused and modifier cells live in their own files; MXNet users reach them here too
    if name == 'FusedRNNCell':
        from .fused import FusedRNNCell
        return FusedRNNCell
    if name in ('DropoutCell', 'ModifierCell', 'ResidualCell', 'ZoneoutCell'):
        from . import modifiers
        return getattr(modifiers, name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
