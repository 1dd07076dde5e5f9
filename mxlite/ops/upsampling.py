"""UpSampling: nearest-neighbour (any number of inputs) or bilinear (a fixed deconvolution).

Nearest upsampling writes each input pixel into its s x s block through a broadcast view
``out.reshape(N, C, h, s, w, s)``, so no index arrays are built; the gradient is the sum
over the same blocks. Bilinear upsampling is a grouped Deconvolution with kernel
``2*scale - scale % 2``, stride ``scale`` and pad ``ceil((scale-1)/2)``, whose weight the
user supplies (usually initialised with mx.init.Bilinear).
"""

from .convolution import deconv_backward, deconv_forward
from .registry import Enum, Int, Operator, register, shape_check


def _bilinear_geometry(scale):
    kernel = 2 * scale - scale % 2
    pad = -(-(scale - 1) // 2)
    return kernel, pad


@register
class UpSampling(Operator):
    """Upsamples 4-D inputs (N, C, H, W) by an integer ``scale``.

    ``sample_type='nearest'`` takes any number of inputs (``num_args``): the output has
    spatial size ``scale`` times the first input's, every input is repeated up to it,
    and the results are concatenated along channels (``multi_input_mode='concat'``) or
    added (``'sum'``). ``sample_type='bilinear'`` takes ``data`` and ``weight`` of shape
    ``(num_filter, 1, k, k)`` with ``k = 2*scale - scale % 2`` and applies a per-channel
    transposed convolution.

    Examples
    --------
    >>> x = mx.nd.array([[[[1, 2], [3, 4]]]])
    >>> mx.nd.UpSampling(x, scale=2, sample_type='nearest').asnumpy()[0, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]], dtype=float32)
    """
    name = 'UpSampling'
    params = {
        'scale': Int(doc='Upsampling scale.'),
        'num_filter': Int(0, doc='Input channels; required by bilinear upsampling.'),
        'sample_type': Enum(('bilinear', 'nearest'), doc='Upsampling method.'),
        'multi_input_mode': Enum(('concat', 'sum'), 'concat',
                                 doc='How nearest upsampling combines several inputs.'),
        'num_args': Int(doc='Number of inputs (nearest); 2 for bilinear (data, weight).'),
        'workspace': Int(512, doc='Workspace limit in MB (unused).'),
    }
    key_var_num_args = 'num_args'
    backward_uses_outputs = False

    def list_arguments(self, p):
        if p.sample_type == 'bilinear':
            return ['data', 'weight']
        return ['arg%d' % i for i in range(p.num_args)]

    def infer_shape(self, p, in_shapes):
        shapes = [None if s is None else tuple(s) for s in in_shapes]
        s = p.scale
        shape_check(s >= 1, 'scale must be a positive integer, got %d', s)
        first = shapes[0]
        if first is None:
            return shapes, [None]
        shape_check(len(first) == 4, 'input 0 has shape %s; UpSampling needs 4-D inputs '
                    '(batch, channel, height, width)', first)
        oh, ow = first[2] * s, first[3] * s
        if p.sample_type == 'bilinear':
            shape_check(len(shapes) == 2, 'bilinear upsampling takes data and weight, got %d '
                        'inputs', len(shapes))
            k = _bilinear_geometry(s)[0]
            channels = p.num_filter if p.num_filter > 0 else first[1]
            shape_check(channels == first[1], 'data has %d channels (shape %s) but '
                        'num_filter=%d', first[1], first, p.num_filter)
            wshape = (channels, 1, k, k)
            shape_check(shapes[1] is None or shapes[1] == wshape,
                        'data has shape %s but weight has shape %s; expected %s (scale=%d)',
                        first, shapes[1], wshape, s)
            shapes[1] = wshape
            return shapes, [(first[0], channels, oh, ow)]
        shape_check(len(shapes) == p.num_args, 'num_args=%d but %d inputs were given',
                    p.num_args, len(shapes))
        if any(x is None for x in shapes):
            return shapes, [None]
        channels = 0
        for i, x in enumerate(shapes):
            shape_check(len(x) == 4, 'input %d has shape %s; UpSampling needs 4-D inputs', i, x)
            shape_check(x[0] == first[0], 'input %d has shape %s but input 0 has shape %s; '
                        'batch sizes differ', i, x, first)
            shape_check(oh % x[2] == 0 and ow % x[3] == 0,
                        'input %d has shape %s: its size does not divide the output size '
                        '(%d, %d)', i, x, oh, ow)
            if p.multi_input_mode == 'sum':
                shape_check(channels in (0, x[1]), 'input %d has shape %s but input 0 has '
                            'shape %s; multi_input_mode=sum needs equal channels', i, x, first)
                channels = x[1]
            else:
                channels += x[1]
        return shapes, [(first[0], channels, oh, ow)]

    @staticmethod
    def _blocks(a, h, w):
        """(N, C, h*sh, w*sw) -> a (N, C, h, sh, w, sw) view of the same memory."""
        n, c, oh, ow = a.shape
        return a.reshape(n, c, h, oh // h, w, ow // w)

    def forward(self, p, inputs, outputs, ctx):
        out = outputs[0]
        if p.sample_type == 'bilinear':
            k, pad = _bilinear_geometry(p.scale)
            deconv_forward(inputs[0], inputs[1], None, (p.scale,) * 2, (1, 1), (pad, pad),
                           out.shape[1], out)
            return
        c0 = 0
        for i, x in enumerate(inputs):
            n, c, h, w = x.shape
            src = x[:, :, :, None, :, None]
            if p.multi_input_mode == 'sum':
                dst = self._blocks(out, h, w)
                if i == 0:
                    dst[...] = src
                else:
                    dst += src
            else:
                self._blocks(out[:, c0:c0 + c], h, w)[...] = src
                c0 += c

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        if p.sample_type == 'bilinear':
            k, pad = _bilinear_geometry(p.scale)
            dx, dw, _ = deconv_backward(inputs[0], inputs[1], g, (p.scale,) * 2, (1, 1),
                                        (pad, pad), g.shape[1], False)
            return [dx, dw]
        grads = []
        c0 = 0
        for x in inputs:
            n, c, h, w = x.shape
            if p.multi_input_mode == 'sum':
                part = g
            else:
                part = g[:, c0:c0 + c]
                c0 += c
            grads.append(self._blocks(part, h, w).sum(axis=(3, 5)))
        return grads
