"""Checkpoints: `prefix-symbol.json` plus `prefix-%04d.params` (arg:/aux: keys)."""
import logging
from collections import namedtuple

from .base import MXNetError

__all__ = ['BatchEndParam', 'save_checkpoint', 'load_checkpoint', 'load_params',
           'split_params', 'FeedForward']

BatchEndParam = namedtuple('BatchEndParams', ['epoch', 'nbatch', 'eval_metric', 'locals'])


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Write `prefix-symbol.json` and `prefix-%04d.params` (each atomically).

    Examples
    --------
    >>> import mxlite as mx, tempfile, os
    >>> d = tempfile.mkdtemp(); net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2)
    >>> mx.model.save_checkpoint(os.path.join(d, 'net'), 1, net,
    ...                          {'fullyconnected0_weight': mx.nd.ones((2, 3))}, {})
    """
    from .ndarray import save
    if symbol is not None:
        symbol.save('%s-symbol.json' % prefix)
    param_name = '%s-%04d.params' % (prefix, epoch)
    save(param_name, _params_save_dict(arg_params, aux_params))
    logging.info('Saved checkpoint to "%s"', param_name)


def _params_save_dict(arg_params, aux_params):
    """{'arg:<name>': array, 'aux:<name>': array} on the cpu: the keys of a .params file
    (the inverse of `split_params`)."""
    save_dict = {('arg:%s' % k): v.as_in_context(_cpu()) for k, v in arg_params.items()}
    save_dict.update({('aux:%s' % k): v.as_in_context(_cpu()) for k, v in aux_params.items()})
    return save_dict


def split_params(save_dict, source='<params>'):
    """{'arg:x': a, 'aux:y': b} -> ({'x': a}, {'y': b}); other keys are an error."""
    arg_params, aux_params = {}, {}
    if not save_dict:
        return arg_params, aux_params
    if isinstance(save_dict, list):
        raise MXNetError('%s holds a list of arrays, not a dict of parameters' % source)
    for key, value in save_dict.items():
        kind, _, name = key.partition(':')
        if kind == 'arg':
            arg_params[name] = value
        elif kind == 'aux':
            aux_params[name] = value
        else:
            raise MXNetError("%s: key '%s' is neither 'arg:<name>' nor 'aux:<name>'"
                             % (source, key))
    return arg_params, aux_params


def load_params(prefix, epoch):
    """(arg_params, aux_params) from `prefix-%04d.params`."""
    from .ndarray import load
    fname = '%s-%04d.params' % (prefix, epoch)
    return split_params(load(fname), fname)


def load_checkpoint(prefix, epoch):
    """(symbol, arg_params, aux_params) from a checkpoint written by MXNet or mxlite."""
    from .symbol import load as load_symbol
    symbol = load_symbol('%s-symbol.json' % prefix)
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params


def _cpu():
    from .context import cpu
    return cpu()


from .feedforward import FeedForward  # noqa: E402  (MXNet 1.x: mx.model.FeedForward)
