"""FullyConnected: y = x W^T + b, on BLAS (np.dot writing into the planned buffer)."""
import numpy as np

from ._util import prod as _prod
from .registry import Bool, Int, Operator, register, shape_check


def gemm(a, b, out):
    """out = a @ b, written in place when BLAS can write there directly."""
    if (out.flags.c_contiguous and out.dtype == a.dtype == b.dtype
            and type(out) is np.ndarray):
        np.dot(a, b, out=out)
    else:
        out[...] = np.dot(a, b)
    return out


@register
class FullyConnected(Operator):
    """Applies a linear transformation: ``out = dot(data, weight.T) + bias``.

    With ``flatten=True`` (the default) an input of shape ``(N, x1, ..., xk)`` is first
    flattened to ``(N, x1*...*xk)``; with ``flatten=False`` the transformation applies to
    the last axis and the leading axes are kept.

    Parameters
    ----------
    data : input array, shape (N, ...)
    weight : shape (num_hidden, in_units)
    bias : shape (num_hidden,), absent when ``no_bias=True``
    num_hidden : int
        Number of output units.
    no_bias : bool, default False
    flatten : bool, default True

    Examples
    --------
    >>> x = mx.nd.ones((2, 3))
    >>> w = mx.nd.ones((4, 3))
    >>> b = mx.nd.zeros((4,))
    >>> mx.nd.FullyConnected(x, w, b, num_hidden=4).shape
    (2, 4)
    """
    name = 'FullyConnected'
    params = {
        'num_hidden': Int(doc='Number of hidden nodes of the output.'),
        'no_bias': Bool(False, doc='Whether to disable the bias term.'),
        'flatten': Bool(True, doc='Whether to collapse all but the first axis of the input.'),
    }
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'weight'] if p.no_bias else ['data', 'weight', 'bias']

    def infer_shape(self, p, in_shapes, out_shapes=None):
        shapes = list(in_shapes)
        data, weight = shapes[0], shapes[1]
        out_known = out_shapes[0] if out_shapes else None
        if data is None and out_known is not None and weight is not None and \
                len(out_known) == 2:
            # MXNet fills a batch-unknown 2-D data (an RNN begin state) from the output
            data = shapes[0] = (out_known[0], tuple(weight)[1])
        nh = p.num_hidden
        shape_check(nh > 0, 'num_hidden must be positive, got %d', nh)
        if not p.no_bias:
            bias = shapes[2]
            shape_check(bias is None or tuple(bias) == (nh,),
                        "bias has shape %s but expected (%d,) (num_hidden=%d)",
                        bias, nh, nh)
            shapes[2] = (nh,)
        if data is None:
            return shapes, [None]
        data = tuple(data)
        shape_check(len(data) >= 1, 'data must have at least one dimension, got shape %s',
                    data)
        if p.flatten:
            in_units = _prod(data[1:])
            out = (data[0], nh)
        else:
            in_units = data[-1]
            out = data[:-1] + (nh,)
        expected = (nh, in_units)
        shape_check(weight is None or tuple(weight) == expected,
                    "data has shape %s but weight has shape %s; expected weight shape %s "
                    "(num_hidden=%d, flatten=%s)", data, weight, expected, nh, p.flatten)
        shapes[1] = expected
        return shapes, [out]

    @staticmethod
    def _as_2d(p, data):
        if p.flatten:
            return data.reshape(data.shape[0], -1) if data.ndim != 2 else data
        return data.reshape(-1, data.shape[-1])

    def forward(self, p, inputs, outputs, ctx):
        views = ctx.state.get('fc_views')
        if views is None or views[0] is not inputs[0] or views[1] is not outputs[0]:
            # an executor passes the same arrays every step: build the 2-D views once
            x = self._as_2d(p, inputs[0])
            out = outputs[0]
            direct = (out.flags.c_contiguous and type(out) is np.ndarray and
                      out.dtype == x.dtype == inputs[1].dtype)
            out2 = out.reshape(x.shape[0], p.num_hidden) if direct else None
            views = ctx.state['fc_views'] = (inputs[0], outputs[0], x, out2)
        _, out, x, out2 = views
        y = np.dot(x, inputs[1].T, out=out2)   # out2: BLAS writes into the planned buffer
        if not p.no_bias:
            y += inputs[2]
        if out2 is None:
            out[...] = y.reshape(out.shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        data, w = inputs[0], inputs[1]
        x = self._as_2d(p, data)
        g = ograds[0].reshape(x.shape[0], p.num_hidden)
        # the gradients go straight into the executor's arrays where it offers them
        gdata = gw = None
        if ctx.needs(0):
            dst = ctx.dst(0)
            if dst is not None:
                gemm(g, w, dst.reshape(x.shape))
                gdata = dst
            else:
                gdata = np.dot(g, w).reshape(data.shape)
        if ctx.needs(1):
            dst = ctx.dst(1)
            gw = gemm(g.T, x, dst) if dst is not None else np.dot(g.T, x)
        grads = [gdata, gw]
        if not p.no_bias:
            dst = ctx.dst(2)
            grads.append(g.sum(axis=0, out=dst) if dst is not None else g.sum(axis=0))
        return grads
