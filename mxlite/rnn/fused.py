"""FusedRNNCell: a whole (stacked, optionally bidirectional) RNN as one ``RNN`` operator."""
import warnings

import numpy as np

from .. import symbol
from ..base import MXNetError
from .rnn_cell import (BaseRNNCell, BidirectionalCell, GRUCell, LSTMCell, RNNCell,
                       SequentialRNNCell, _as_numpy, _like, _normalize_sequence)

__all__ = ['FusedRNNCell']

_GATE_NAMES = {'rnn_relu': ('',), 'rnn_tanh': ('',), 'lstm': ('_i', '_f', '_c', '_o'),
               'gru': ('_r', '_z', '_o')}


class FusedRNNCell(BaseRNNCell):
    """A stack of RNN/LSTM/GRU layers run by the fused ``RNN`` operator.

    All weights are one variable, ``<prefix>parameters``, in the operator's packed
    layout; `unpack_weights` splits it into per-layer, per-direction, per-gate arrays
    named like the cells of `unfuse()` would name them (``lstm_l0_i2h_f_weight``), and
    `pack_weights` joins them again.

    Parameters
    ----------
    num_hidden : int
    num_layers : int, default 1
    mode : {'rnn_relu', 'rnn_tanh', 'lstm', 'gru'}, default 'lstm'
    bidirectional : bool, default False
    dropout : float, default 0
        Dropout between layers (training only).
    get_next_state : bool, default False
        Return the final states from `unroll` (otherwise an empty list).
    forget_bias : float, default 1.0
    prefix : str, default '<mode>_'
    params : RNNParams, optional

    Examples
    --------
    >>> import mxlite as mx
    >>> cell = mx.rnn.FusedRNNCell(8, num_layers=2, mode='gru', prefix='gru_')
    >>> out, _ = cell.unroll(4, mx.sym.var('data'), layout='TNC')
    >>> out.infer_shape(data=(4, 2, 3))[1]
    [(4, 2, 8)]
    """

    def __init__(self, num_hidden, num_layers=1, mode='lstm', bidirectional=False,
                 dropout=0., get_next_state=False, forget_bias=1.0, prefix=None,
                 params=None):
        from ..initializer import FusedRNN
        if mode not in _GATE_NAMES:
            raise MXNetError("FusedRNNCell: mode '%s' is not one of %s"
                             % (mode, sorted(_GATE_NAMES)))
        if prefix is None:
            prefix = '%s_' % mode
        super().__init__(prefix=prefix, params=params)
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._dropout = dropout
        self._get_next_state = get_next_state
        self._directions = ['l', 'r'] if bidirectional else ['l']
        initializer = FusedRNN(None, num_hidden, num_layers, mode, bidirectional, forget_bias)
        self._parameter = self.params.get('parameters', init=initializer)

    @property
    def state_info(self):
        b = self._bidirectional + 1
        n = (self._mode == 'lstm') + 1
        return [{'shape': (b * self._num_layers, 0, self._num_hidden), '__layout__': 'LNC'}
                for _ in range(n)]

    @property
    def _gate_names(self):
        return _GATE_NAMES[self._mode]

    @property
    def _num_gates(self):
        return len(self._gate_names)

    def _pieces(self, num_input):
        """(name, start, shape) of every per-gate piece of the packed vector, in order."""
        h = self._num_hidden
        b = len(self._directions)
        out, pos = [], 0
        for layer in range(self._num_layers):
            width = num_input if layer == 0 else b * h
            for d in self._directions:
                for group, cols in (('i2h', width), ('h2h', h)):
                    for gate in self._gate_names:
                        out.append(('%s%s%d_%s%s_weight' % (self._prefix, d, layer, group,
                                                            gate), pos, (h, cols)))
                        pos += h * cols
        for layer in range(self._num_layers):
            for d in self._directions:
                for group in ('i2h', 'h2h'):
                    for gate in self._gate_names:
                        out.append(('%s%s%d_%s%s_bias' % (self._prefix, d, layer, group, gate),
                                    pos, (h,)))
                        pos += h
        return out, pos

    def _num_input(self, size):
        b, m, h = len(self._directions), self._num_gates, self._num_hidden
        return size // b // h // m - (self._num_layers - 1) * (h + b * h + 2) - h - 2

    def unpack_weights(self, args):
        args = dict(args)
        packed = args.pop(self._parameter.name)
        arr = _as_numpy(packed).reshape(-1)
        pieces, total = self._pieces(self._num_input(arr.size))
        if total != arr.size:
            raise MXNetError("FusedRNNCell.unpack_weights: '%s' has %d values, which does "
                             "not fit %d layer(s) of %d hidden units (mode=%s)"
                             % (self._parameter.name, arr.size, self._num_layers,
                                self._num_hidden, self._mode))
        for name, start, shape in pieces:
            size = int(np.prod(shape))
            args[name] = _like(packed, arr[start:start + size].reshape(shape))
        return args

    def pack_weights(self, args):
        args = dict(args)
        first = args['%sl0_i2h%s_weight' % (self._prefix, self._gate_names[0])]
        num_input = tuple(first.shape)[1]
        pieces, total = self._pieces(num_input)
        arr = np.zeros((total,), dtype=_as_numpy(first).dtype)
        for name, start, shape in pieces:
            value = _as_numpy(args.pop(name))
            if value.shape != tuple(shape):
                raise MXNetError("FusedRNNCell.pack_weights: '%s' has shape %s, expected %s"
                                 % (name, value.shape, tuple(shape)))
            arr[start:start + value.size] = value.reshape(-1)
        args[self._parameter.name] = _like(first, arr)
        return args

    def __call__(self, inputs, states):
        raise NotImplementedError('FusedRNNCell cannot be stepped; use unroll')

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        inputs, axis = _normalize_sequence(length, inputs, layout, True)
        if axis == 1:
            warnings.warn('NTC layout detected. Consider using TNC for FusedRNNCell for '
                          'faster speed')
            inputs = symbol.swapaxes(inputs, dim1=0, dim2=1)
        elif axis != 0:
            raise MXNetError("FusedRNNCell: unsupported layout '%s'" % layout)
        if begin_state is None:
            begin_state = self.begin_state()
        if self._mode == 'lstm':
            states = {'state': begin_state[0], 'state_cell': begin_state[1]}
        else:
            states = {'state': begin_state[0]}
        rnn = symbol.RNN(data=inputs, parameters=self._parameter,
                         state_size=self._num_hidden, num_layers=self._num_layers,
                         bidirectional=self._bidirectional, p=self._dropout,
                         state_outputs=self._get_next_state, mode=self._mode,
                         name=self._prefix + 'rnn', **states)
        if not self._get_next_state:
            outputs, states = rnn, []
        else:
            n = 2 if self._mode == 'lstm' else 1
            for k in range(1, n + 1):
                rnn[k]._set_attr(__layout__='LNC')
            outputs, states = rnn[0], [rnn[k] for k in range(1, n + 1)]
        if axis == 1:
            outputs = symbol.swapaxes(outputs, dim1=0, dim2=1)
        outputs, _ = _normalize_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def unfuse(self):
        """The same network as a SequentialRNNCell of plain cells (weights convert with
        this cell's `unpack_weights` and the stack's `pack_weights`)."""
        from .modifiers import DropoutCell
        make = {'rnn_relu': lambda p: RNNCell(self._num_hidden, activation='relu', prefix=p),
                'rnn_tanh': lambda p: RNNCell(self._num_hidden, activation='tanh', prefix=p),
                'lstm': lambda p: LSTMCell(self._num_hidden, prefix=p),
                'gru': lambda p: GRUCell(self._num_hidden, prefix=p)}[self._mode]
        stack = SequentialRNNCell()
        for i in range(self._num_layers):
            if self._bidirectional:
                stack.add(BidirectionalCell(make('%sl%d_' % (self._prefix, i)),
                                            make('%sr%d_' % (self._prefix, i)),
                                            output_prefix='%sbi_l%d_' % (self._prefix, i)))
            else:
                stack.add(make('%sl%d_' % (self._prefix, i)))
            if self._dropout > 0 and i != self._num_layers - 1:
                stack.add(DropoutCell(self._dropout, prefix='%s_dropout%d_' % (self._prefix, i)))
        return stack
