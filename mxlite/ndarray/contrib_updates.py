"""mx.nd.contrib's Python front ends of the AdamW and LAMB update operators.

MXNet wraps `_adamw_update`, `_multi_lamb_update` and friends so that callers pass a
float `rescale_grad` (turned into the (1,) array the operators read, which lets a loss
scaler change it without a new graph) and lists of weights, gradients and states
(interleaved into the operators' flat input order).

Examples
--------
>>> import mxlite as mx
>>> w, g = mx.nd.ones(3), mx.nd.ones(3)
>>> m, v = mx.nd.zeros(3), mx.nd.zeros(3)
>>> _ = mx.nd.contrib.adamw_update(w, g, m, v, rescale_grad=1.0, lr=0.1, eta=1.0, out=w)
>>> [round(float(x), 4) for x in w.asnumpy()]   # no bias correction here, as in MXNet
[0.6838, 0.6838, 0.6838]
"""
from .ndarray import NDArray, full

__all__ = ['adamw_update', 'mp_adamw_update', 'multi_adamw_update',
           'multi_mp_adamw_update', 'multi_lamb_update', 'multi_mp_lamb_update']


def _scale_array(rescale_grad, like):
    if isinstance(rescale_grad, NDArray):
        return rescale_grad.as_in_context(like.context)
    return full((1,), rescale_grad, ctx=like.context)


def _interleave(*lists):
    return [a for group in zip(*lists) for a in group]


def _internal():
    from . import _internal as ops
    return ops


def adamw_update(weight, grad, mean, var, rescale_grad, lr, eta, beta1=0.9, beta2=0.999,
                 epsilon=1e-8, wd=0, clip_gradient=-1, out=None, name=None, **kwargs):
    """AdamW step (decoupled weight decay); `mean` and `var` are updated in place."""
    return _internal()._adamw_update(
        weight, grad, mean, var, _scale_array(rescale_grad, weight), lr=lr, eta=eta,
        beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd, clip_gradient=clip_gradient,
        out=out, name=name, **kwargs)


def mp_adamw_update(weight, grad, mean, var, weight32, rescale_grad, lr, eta, beta1=0.9,
                    beta2=0.999, epsilon=1e-8, wd=0, clip_gradient=-1, out=None, name=None,
                    **kwargs):
    """AdamW step on a float32 master copy `weight32` of a float16 `weight`."""
    return _internal()._mp_adamw_update(
        weight, grad, mean, var, weight32, _scale_array(rescale_grad, weight), lr=lr,
        eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
        clip_gradient=clip_gradient, out=out, name=name, **kwargs)


def multi_adamw_update(weights, grads, mean, var, rescale_grad, lrs, wds, etas, out=None,
                       name=None, size=0, **kwargs):
    """AdamW over lists of weights in one call (per-weight `lrs`, `wds`, `etas`)."""
    size = size or len(weights)
    inputs = _interleave(weights, grads, mean, var) + [_scale_array(rescale_grad, weights[0])]
    return _internal()._multi_adamw_update(*inputs, num_weights=size, lrs=lrs, wds=wds,
                                           etas=etas, out=out, name=name, **kwargs)


def multi_mp_adamw_update(weights, grads, mean, var, weights32, rescale_grad, lrs, wds, etas,
                          out=None, name=None, size=0, **kwargs):
    """multi_adamw_update with float32 master copies."""
    size = size or len(weights)
    inputs = _interleave(weights, grads, mean, var, weights32) + \
        [_scale_array(rescale_grad, weights[0])]
    return _internal()._multi_mp_adamw_update(*inputs, num_weights=size, lrs=lrs, wds=wds,
                                              etas=etas, out=out, name=name, **kwargs)


def multi_lamb_update(weights, grads, mean, var, step_count, lrs, wds, out=None,
                      num_tensors=0, **kwargs):
    """LAMB over lists of weights in one call (`step_count` per weight)."""
    num_tensors = num_tensors or len(weights)
    return _internal()._multi_lamb_update(
        *_interleave(weights, grads, mean, var), num_tensors=num_tensors,
        step_count=step_count, learning_rates=lrs, wds=wds, out=out, **kwargs)


def multi_mp_lamb_update(weights, grads, mean, var, weights32, step_count, lrs, wds,
                         out=None, num_tensors=0, **kwargs):
    """multi_lamb_update with float32 master copies."""
    num_tensors = num_tensors or len(weights)
    return _internal()._multi_mp_lamb_update(
        *_interleave(weights, grads, mean, var, weights32), num_tensors=num_tensors,
        step_count=step_count, learning_rates=lrs, wds=wds, out=out, **kwargs)
