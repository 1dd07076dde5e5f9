"""Embedding: a lookup table, out[..., :] = weight[data[...], :]."""
import numpy as np

from ..base import TypeInferError, np_dtype
from .registry import Bool, DType, Int, Operator, register, shape_check


@register
class Embedding(Operator):
    """Maps integer indices to rows of a weight matrix of shape (input_dim, output_dim).

    ``data`` holds indices (any dtype; floats are truncated, as in MXNet) and gets no
    gradient; indices outside ``[0, input_dim)`` are clipped to the nearest valid row.
    The output has shape ``data.shape + (output_dim,)`` and dtype ``dtype``. The weight
    gradient is dense here; ``sparse_grad=True`` is accepted and gives the same values.

    Examples
    --------
    >>> w = mx.nd.array([[0, 0], [1, 1], [2, 2]])
    >>> mx.nd.Embedding(mx.nd.array([2, 0]), w, input_dim=3, output_dim=2).asnumpy()
    array([[2., 2.],
           [0., 0.]], dtype=float32)
    """
    name = 'Embedding'
    params = {
        'input_dim': Int(doc='Vocabulary size: the number of rows of weight.'),
        'output_dim': Int(doc='Embedding size: the number of columns of weight.'),
        'dtype': DType('float32', doc='Dtype of weight and output.'),
        'sparse_grad': Bool(False, doc='Row-sparse weight gradient (computed dense here).'),
    }
    nograd_inputs = (0,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'weight']

    def infer_shape(self, p, in_shapes):
        data, weight = in_shapes
        wshape = (p.input_dim, p.output_dim)
        shape_check(p.input_dim > 0 and p.output_dim > 0,
                    'input_dim (%d) and output_dim (%d) must be positive',
                    p.input_dim, p.output_dim)
        shape_check(weight is None or tuple(weight) == wshape,
                    'weight has shape %s but expected %s (input_dim=%d, output_dim=%d)',
                    weight, wshape, p.input_dim, p.output_dim)
        out = None if data is None else tuple(data) + (p.output_dim,)
        return [data, wshape], [out]

    def infer_type(self, p, in_types):
        dtype = np_dtype(p.dtype)
        data, weight = in_types
        if weight is not None and np_dtype(weight) != dtype:
            raise TypeInferError('weight has dtype %s but dtype=%s' % (
                np_dtype(weight).name, dtype.name))
        return [dtype if data is None else data, dtype], [dtype]

    @staticmethod
    def _indices(p, data):
        return np.clip(data.astype(np.int64), 0, p.input_dim - 1)

    def forward(self, p, inputs, outputs, ctx):
        data, weight = inputs
        out = outputs[0]
        idx = self._indices(p, data)
        if out.flags.c_contiguous and out.dtype == weight.dtype:
            np.take(weight, idx, axis=0, out=out)
        else:
            out[...] = weight[idx]

    def backward(self, p, ograds, inputs, outputs, ctx):
        data, weight = inputs
        idx = self._indices(p, data).ravel()
        g = ograds[0].reshape(-1, p.output_dim)
        gw = np.zeros(weight.shape, dtype=weight.dtype)
        np.add.at(gw, idx, g)
        return [None, gw]
