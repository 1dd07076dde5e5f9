"""Interleaved multi-head attention matmuls (contrib), as GluonNLP's BERT/Transformer use.

Projections are stored interleaved per head: for self-attention the last axis of
``queries_keys_values`` (seq_len, batch, heads * 3 * head_dim) reads as
(heads, 3, head_dim) with q, k, v the three rows of each head; for encoder-decoder
attention ``keys_values`` (seq_len, batch, heads * 2 * head_dim) reads as
(heads, 2, head_dim). Attention maps are (batch * heads, query_len, key_len) with
batch-major rows (row ``b * heads + h``). Every kernel is a reshape/transpose view plus
one batched ``np.matmul`` over the batch * heads matrices, so BLAS does the work.
"""
import math

import numpy as np

from ._util import known as _known
from .registry import Int, Operator, register, shape_check

_HEADS = {'heads': Int(doc='Number of attention heads.')}


def _check_heads(p):
    shape_check(p.heads > 0, 'heads must be positive, got %d', p.heads)


def _proj_shape(shape, name, parts, heads):
    """Check a (seq, batch, heads * parts * head_dim) input; return head_dim."""
    shape_check(len(shape) == 3, "input '%s' has shape %s; expected 3-D "
                "(seq_length, batch, heads * %d * head_dim)", name, tuple(shape), parts)
    shape_check(shape[2] % (heads * parts) == 0, "input '%s' has shape %s: its last axis "
                "(%d) must be divisible by heads * %d = %d", name, tuple(shape), shape[2],
                parts, heads * parts)
    return shape[2] // (heads * parts)


def _split(x, heads, parts, which):
    """(S, B, heads*parts*D) -> part `which` as a (B*heads, S, D) view-or-copy."""
    s, b, e = x.shape
    d = e // (heads * parts)
    return x.reshape(s, b, heads, parts, d)[:, :, :, which, :] \
        .transpose(1, 2, 0, 3).reshape(b * heads, s, d)


def _merge_into(dst, part, heads, parts, which):
    """Write a (B*heads, S, D) gradient into part `which` of a (S, B, heads*parts*D) array."""
    s, b, e = dst.shape
    d = e // (heads * parts)
    dst.reshape(s, b, heads, parts, d)[:, :, :, which, :] = \
        part.reshape(b, heads, s, d).transpose(2, 0, 1, 3)


def _scale(d, dtype):
    return np.dtype(dtype).type(1.0 / math.sqrt(d))


def _att_shape(shape, name, rows, q_len, k_len):
    shape_check(len(shape) == 3, "input '%s' has shape %s; expected 3-D "
                "(batch * heads, query_length, key_length)", name, tuple(shape))
    want = (rows, q_len, k_len)
    ok = all(w is None or a == w for a, w in zip(shape, want))
    shape_check(ok, "input '%s' has shape %s; expected (batch * heads, query_length, "
                "key_length) = %s", name, tuple(shape), want)


@register
class InterleavedMatMulSelfAttQK(Operator):
    """Scaled query-key products of self-attention from interleaved projections (contrib).

    ``queries_keys_values`` is (seq_length, batch, heads * 3 * head_dim), q/k/v
    interleaved per head. The output is (batch * heads, seq_length, seq_length) with
    ``out[b*heads + h] = (q_bh / sqrt(head_dim)) @ k_bh.T``.

    Examples
    --------
    >>> qkv = mx.nd.ones((2, 1, 6))
    >>> mx.nd.contrib.interleaved_matmul_selfatt_qk(qkv, heads=1).asnumpy()
    array([[[1.4142135, 1.4142135],
            [1.4142135, 1.4142135]]], dtype=float32)
    """
    name = '_contrib_interleaved_matmul_selfatt_qk'
    params = _HEADS
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['queries_keys_values']

    def infer_shape(self, p, in_shapes):
        _check_heads(p)
        qkv = in_shapes[0]
        if not _known(qkv):
            return in_shapes, [None]
        _proj_shape(qkv, 'queries_keys_values', 3, p.heads)
        return [tuple(qkv)], [(qkv[1] * p.heads, qkv[0], qkv[0])]

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        q, k = _split(x, p.heads, 3, 0), _split(x, p.heads, 3, 1)
        np.matmul(q * _scale(q.shape[2], x.dtype), k.transpose(0, 2, 1), out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, g = inputs[0], ograds[0]
        q, k = _split(x, p.heads, 3, 0), _split(x, p.heads, 3, 1)
        sc = _scale(q.shape[2], x.dtype)
        grad = np.zeros_like(x)
        _merge_into(grad, np.matmul(g, k) * sc, p.heads, 3, 0)
        _merge_into(grad, np.matmul(g.transpose(0, 2, 1), q) * sc, p.heads, 3, 1)
        return [grad]


@register
class InterleavedMatMulSelfAttValAtt(Operator):
    """Attention-weighted values of self-attention from interleaved projections (contrib).

    ``queries_keys_values`` is (seq_length, batch, heads * 3 * head_dim) and
    ``attention`` (batch * heads, seq_length, seq_length). The output is
    (seq_length, batch, heads * head_dim): head ``h`` of batch ``b`` is
    ``attention[b*heads + h] @ v_bh``.

    Examples
    --------
    >>> qkv = mx.nd.arange(6).reshape((2, 1, 3))
    >>> att = mx.nd.array([[[1, 0], [0.5, 0.5]]])
    >>> mx.nd.contrib.interleaved_matmul_selfatt_valatt(qkv, att, heads=1).asnumpy()
    array([[[2. ]],
    <BLANKLINE>
           [[3.5]]], dtype=float32)
    """
    name = '_contrib_interleaved_matmul_selfatt_valatt'
    params = _HEADS
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['queries_keys_values', 'attention']

    def infer_shape(self, p, in_shapes):
        _check_heads(p)
        qkv, att = in_shapes
        if not _known(qkv):
            return in_shapes, [None]
        d = _proj_shape(qkv, 'queries_keys_values', 3, p.heads)
        s, b = qkv[0], qkv[1]
        want = (b * p.heads, s, s)
        if att is not None:
            _att_shape(att, 'attention', *want)
        return [tuple(qkv), want], [(s, b, p.heads * d)]

    def forward(self, p, inputs, outputs, ctx):
        x, att = inputs
        v = _split(x, p.heads, 3, 2)
        s, b, _ = outputs[0].shape
        out = np.matmul(att, v)                                   # (B*heads, S, D)
        outputs[0][...] = out.reshape(b, p.heads, s, -1).transpose(2, 0, 1, 3) \
            .reshape(outputs[0].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, att = inputs
        s, b, _ = ograds[0].shape
        g = ograds[0].reshape(s, b, p.heads, -1).transpose(1, 2, 0, 3) \
            .reshape(b * p.heads, s, -1)
        v = _split(x, p.heads, 3, 2)
        grad_x = np.zeros_like(x)
        _merge_into(grad_x, np.matmul(att.transpose(0, 2, 1), g), p.heads, 3, 2)
        return [grad_x, np.matmul(g, v.transpose(0, 2, 1)).astype(att.dtype, copy=False)]


@register
class InterleavedMatMulEncDecQK(Operator):
    """Scaled query-key products of encoder-decoder attention (contrib).

    ``queries`` is (query_length, batch, heads * head_dim) and ``keys_values``
    (key_length, batch, heads * 2 * head_dim), k/v interleaved per head. The output is
    (batch * heads, query_length, key_length) with
    ``out[b*heads + h] = (q_bh / sqrt(head_dim)) @ k_bh.T``.

    Examples
    --------
    >>> q = mx.nd.ones((1, 1, 4))
    >>> kv = mx.nd.ones((3, 1, 8))
    >>> mx.nd.contrib.interleaved_matmul_encdec_qk(q, kv, heads=2).shape
    (2, 1, 3)
    """
    name = '_contrib_interleaved_matmul_encdec_qk'
    params = _HEADS
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['queries', 'keys_values']

    def infer_shape(self, p, in_shapes):
        _check_heads(p)
        q, kv = in_shapes
        if not (_known(q) and _known(kv)):
            return in_shapes, [None]
        dq = _proj_shape(q, 'queries', 1, p.heads)
        dk = _proj_shape(kv, 'keys_values', 2, p.heads)
        shape_check(q[1] == kv[1] and dq == dk, "input 'queries' has shape %s but "
                    "'keys_values' has shape %s; expected the same batch and "
                    "keys_values.shape[2] == 2 * queries.shape[2]", tuple(q), tuple(kv))
        return [tuple(q), tuple(kv)], [(q[1] * p.heads, q[0], kv[0])]

    def forward(self, p, inputs, outputs, ctx):
        qx, kv = inputs
        q, k = _split(qx, p.heads, 1, 0), _split(kv, p.heads, 2, 0)
        np.matmul(q * _scale(q.shape[2], qx.dtype), k.transpose(0, 2, 1), out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        qx, kv = inputs
        g = ograds[0]
        q, k = _split(qx, p.heads, 1, 0), _split(kv, p.heads, 2, 0)
        sc = _scale(q.shape[2], qx.dtype)
        grad_q = np.empty_like(qx)
        _merge_into(grad_q, np.matmul(g, k) * sc, p.heads, 1, 0)
        grad_kv = np.zeros_like(kv)
        _merge_into(grad_kv, np.matmul(g.transpose(0, 2, 1), q) * sc, p.heads, 2, 0)
        return [grad_q, grad_kv]


@register
class InterleavedMatMulEncDecValAtt(Operator):
    """Attention-weighted values of encoder-decoder attention (contrib).

    ``keys_values`` is (key_length, batch, heads * 2 * head_dim) and ``attention``
    (batch * heads, query_length, key_length). The output is
    (query_length, batch, heads * head_dim): head ``h`` of batch ``b`` is
    ``attention[b*heads + h] @ v_bh``.

    Examples
    --------
    >>> kv = mx.nd.arange(4).reshape((2, 1, 2))
    >>> att = mx.nd.array([[[0.25, 0.75]]])
    >>> mx.nd.contrib.interleaved_matmul_encdec_valatt(kv, att, heads=1).asnumpy()
    array([[[2.5]]], dtype=float32)
    """
    name = '_contrib_interleaved_matmul_encdec_valatt'
    params = _HEADS
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['keys_values', 'attention']

    def infer_shape(self, p, in_shapes):
        _check_heads(p)
        kv, att = in_shapes
        if not (_known(kv) and _known(att)):
            return in_shapes, [None]
        d = _proj_shape(kv, 'keys_values', 2, p.heads)
        _att_shape(att, 'attention', kv[1] * p.heads, None, kv[0])
        return [tuple(kv), tuple(att)], [(att[1], kv[1], p.heads * d)]

    def forward(self, p, inputs, outputs, ctx):
        kv, att = inputs
        v = _split(kv, p.heads, 2, 1)
        s, b, _ = outputs[0].shape
        out = np.matmul(att, v)
        outputs[0][...] = out.reshape(b, p.heads, s, -1).transpose(2, 0, 1, 3) \
            .reshape(outputs[0].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        kv, att = inputs
        s, b, _ = ograds[0].shape
        g = ograds[0].reshape(s, b, p.heads, -1).transpose(1, 2, 0, 3) \
            .reshape(b * p.heads, s, -1)
        v = _split(kv, p.heads, 2, 1)
        grad_kv = np.zeros_like(kv)
        _merge_into(grad_kv, np.matmul(att.transpose(0, 2, 1), g), p.heads, 2, 1)
        return [grad_kv, np.matmul(g, v.transpose(0, 2, 1)).astype(att.dtype, copy=False)]
