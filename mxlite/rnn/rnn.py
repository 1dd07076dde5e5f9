"""Checkpoints of models built with RNN cells: weights are saved in the cells' unpacked
(per-gate) form, so a FusedRNNCell model and its unfused twin read each other's files."""
from .rnn_cell import BaseRNNCell

__all__ = ['save_rnn_checkpoint', 'load_rnn_checkpoint', 'do_rnn_checkpoint']


def _cells(cells):
    return [cells] if isinstance(cells, BaseRNNCell) else list(cells)


def save_rnn_checkpoint(cells, prefix, epoch, symbol, arg_params, aux_params):
    """`mx.model.save_checkpoint` with each cell's weights unpacked first.

    Parameters
    ----------
    cells : BaseRNNCell or list of them
    prefix : str
    epoch : int
    symbol : Symbol
    arg_params, aux_params : dict of str to NDArray
    """
    from ..model import save_checkpoint
    for cell in _cells(cells):
        arg_params = cell.unpack_weights(arg_params)
    save_checkpoint(prefix, epoch, symbol, arg_params, aux_params)


def load_rnn_checkpoint(cells, prefix, epoch):
    """`mx.model.load_checkpoint` with each cell's weights packed back.

    Returns
    -------
    (symbol, arg_params, aux_params)
    """
    from ..model import load_checkpoint
    sym, arg, aux = load_checkpoint(prefix, epoch)
    for cell in _cells(cells):
        arg = cell.pack_weights(arg)
    return sym, arg, aux


def do_rnn_checkpoint(cells, prefix, period=1):
    """An epoch-end callback for `fit` that saves an RNN checkpoint every `period` epochs.

    Examples
    --------
    >>> import mxlite as mx
    >>> cb = mx.rnn.do_rnn_checkpoint(mx.rnn.LSTMCell(4), '/tmp/lstm', period=2)
    >>> callable(cb)
    True
    """
    period = int(max(1, period))

    def _callback(iter_no, sym=None, arg=None, aux=None):
        if (iter_no + 1) % period == 0:
            save_rnn_checkpoint(cells, prefix, iter_no + 1, sym, arg, aux)
    return _callback
