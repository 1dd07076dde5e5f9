"""mx.rnn: recurrent cells that build symbolic graphs, bucketing sentence iterators and
checkpoint helpers (MXNet 1.x's ``mxnet.rnn`` package).

Examples
--------
>>> import mxlite as mx
>>> stack = mx.rnn.SequentialRNNCell()
>>> stack.add(mx.rnn.LSTMCell(16, prefix='lstm_l0_'))
>>> outputs, states = stack.unroll(5, mx.sym.var('data'), merge_outputs=True)
>>> outputs.infer_shape(data=(4, 5, 8))[1]
[(4, 5, 16)]
"""
from . import io, rnn, rnn_cell  # noqa: F401  (MXNet's submodule names)
from .fused import FusedRNNCell
from .io import BucketSentenceIter, encode_sentences
from .modifiers import DropoutCell, ModifierCell, ResidualCell, ZoneoutCell
from .rnn import do_rnn_checkpoint, load_rnn_checkpoint, save_rnn_checkpoint
from .rnn_cell import (BaseRNNCell, BidirectionalCell, GRUCell, LSTMCell, RNNCell, RNNParams,
                       SequentialRNNCell)

__all__ = ['RNNParams', 'BaseRNNCell', 'RNNCell', 'LSTMCell', 'GRUCell', 'FusedRNNCell',
           'SequentialRNNCell', 'BidirectionalCell', 'DropoutCell', 'ModifierCell',
           'ZoneoutCell', 'ResidualCell', 'BucketSentenceIter', 'encode_sentences',
           'save_rnn_checkpoint', 'load_rnn_checkpoint', 'do_rnn_checkpoint']
