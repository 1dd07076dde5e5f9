"""Probability densities of samples: ``_random_pdf_<dist>`` (alias ``random_pdf_<dist>``).

Each op takes ``sample`` and the distribution's parameter arrays. A parameter array has
the shape of the leading dimensions of ``sample``: one distribution per parameter entry,
the trailing dimensions of ``sample`` being draws from it. Dirichlet's ``alpha`` has shape
``(..., k)`` and ``sample`` ``(..., m, k)``; its output drops the last axis.

Everything is computed in float64 through the log-density, then cast; gradients are
``d log p`` (times ``p`` unless ``is_log``), summed over the draws for the parameters.
As in MXNet, the discrete densities (poisson, negative binomial) give no gradient to
``sample`` (zero), and the gamma density's ``beta`` is a rate: ``p ~ exp(-beta * x)``.
"""
import math

import numpy as np

from .registry import Bool, Operator, register, shape_check
from .unary import digamma, gammaln

_IS_LOG = Bool(False, doc='Compute the log-density instead of the density.')


def _ln(x):
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.log(x)


class _PdfBase(Operator):
    """Shared shapes, kernels and gradient plumbing; subclasses give logpdf and dlogpdf."""
    args = ()          # parameter input names after 'sample'
    discrete = False   # no gradient to the sample
    event = False      # Dirichlet: the last axis is the event, the output drops it
    params = {'is_log': _IS_LOG}

    def list_arguments(self, p):
        return ['sample'] + list(self.args)

    def infer_shape(self, p, in_shapes):
        sample, pars = in_shapes[0], in_shapes[1:]
        pshape = next((s for s in pars if s is not None), None)
        for name, s in zip(self.args, pars):
            shape_check(s is None or pshape is None or tuple(s) == tuple(pshape),
                        "parameter '%s' has shape %s but '%s' has shape %s; expected equal",
                        name, s, self.args[0], pshape)
        if sample is None or pshape is None:
            out = None
            if sample is not None:
                out = tuple(sample[:-1]) if self.event else tuple(sample)
            return in_shapes, [out]
        sample, pshape = tuple(sample), tuple(pshape)
        if self.event:
            ok = (len(sample) == len(pshape) + 1 and sample[:-2] == pshape[:-1]
                  and sample[-1] == pshape[-1])
            shape_check(ok, "sample of shape %s does not fit alpha of shape %s; expected "
                        "alpha.shape[:-1] + (draws, k)", sample, pshape)
            out = sample[:-1]
        else:
            shape_check(len(sample) >= len(pshape) and sample[:len(pshape)] == pshape,
                        "sample of shape %s does not start with the parameters' shape %s",
                        sample, pshape)
            out = sample
        return [sample] + [pshape] * len(pars), [out]

    def _expand(self, sample, pars):
        """float64 sample and parameters broadcastable against it."""
        x = sample.astype(np.float64)
        if self.event:
            return x, [a.astype(np.float64)[..., None, :] for a in pars]
        extra = (1,) * (sample.ndim - pars[0].ndim) if pars else ()
        return x, [a.astype(np.float64).reshape(a.shape + extra) for a in pars]

    def forward(self, p, inputs, outputs, ctx):
        x, pars = self._expand(inputs[0], inputs[1:])
        with np.errstate(all='ignore'):
            logp = self.logpdf(x, *pars)
            outputs[0][...] = logp if p.is_log else np.exp(logp)

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, pars = self._expand(inputs[0], inputs[1:])
        with np.errstate(all='ignore'):
            logp = self.logpdf(x, *pars)
            scale = ograds[0].astype(np.float64)
            if not p.is_log:
                scale = scale * np.exp(logp)
            if self.event:
                scale = scale[..., None]
            grads = self.dlogpdf(x, *pars)
        out = []
        for i, (g, src) in enumerate(zip(grads, inputs)):
            if g is None or (self.discrete and i == 0):
                out.append(np.zeros_like(src))
                continue
            g = np.broadcast_to(g * scale, x.shape)
            if i > 0:   # sum over the draws of each distribution
                axes = (x.ndim - 2,) if self.event else tuple(range(src.ndim, x.ndim))
                g = g.sum(axis=axes) if axes else g
            out.append(np.where(np.isfinite(g), g, 0).astype(src.dtype))
        return out


@register
class PdfUniform(_PdfBase):
    """Density of uniform distributions on ``[low, high]`` (0 outside).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random_pdf_uniform(mx.nd.array([[0.5, 3.0]]), mx.nd.array([0.]),
    ...                          mx.nd.array([2.])).asnumpy()
    array([[0.5, 0. ]], dtype=float32)
    """
    name = '_random_pdf_uniform'
    aliases = ('random_pdf_uniform',)
    args = ('low', 'high')

    def logpdf(self, x, low, high):
        inside = (x >= low) & (x <= high)
        return np.where(inside, -_ln(high - low), -np.inf)

    def dlogpdf(self, x, low, high):
        inside = (x >= low) & (x <= high)
        inv = np.where(inside, 1.0 / (high - low), 0.0)
        return [None, inv, -inv]


@register
class PdfNormal(_PdfBase):
    """Density of normal distributions with means ``mu`` and standard deviations ``sigma``.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random_pdf_normal(mx.nd.array([[0.0]]), mx.nd.array([0.]), mx.nd.array([1.]),
    ...                         is_log=True).asnumpy().round(4)
    array([[-0.9189]], dtype=float32)
    """
    name = '_random_pdf_normal'
    aliases = ('random_pdf_normal',)
    args = ('mu', 'sigma')

    def logpdf(self, x, mu, sigma):
        z = (x - mu) / sigma
        return -0.5 * z * z - _ln(sigma) - 0.5 * math.log(2 * math.pi)

    def dlogpdf(self, x, mu, sigma):
        z = (x - mu) / sigma
        return [-z / sigma, z / sigma, (z * z - 1) / sigma]


@register
class PdfGamma(_PdfBase):
    """Density of gamma distributions, shape ``alpha`` and rate ``beta``:
    ``beta**alpha x**(alpha-1) exp(-beta x) / Gamma(alpha)``.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random_pdf_gamma(mx.nd.array([[1.0]]), mx.nd.array([1.]),
    ...                        mx.nd.array([2.])).asnumpy().round(4)
    array([[0.2707]], dtype=float32)
    """
    name = '_random_pdf_gamma'
    aliases = ('random_pdf_gamma',)
    args = ('alpha', 'beta')

    def logpdf(self, x, alpha, beta):
        return alpha * _ln(beta) + (alpha - 1) * _ln(x) - beta * x - gammaln(alpha)

    def dlogpdf(self, x, alpha, beta):
        return [(alpha - 1) / x - beta, _ln(beta) + _ln(x) - digamma(alpha),
                alpha / beta - x]


@register
class PdfExponential(_PdfBase):
    """Density of exponential distributions with rates ``lam``: ``lam exp(-lam x)``.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random_pdf_exponential(mx.nd.array([[0.0, 1.0]]),
    ...                              mx.nd.array([2.])).asnumpy().round(4)
    array([[2.    , 0.2707]], dtype=float32)
    """
    name = '_random_pdf_exponential'
    aliases = ('random_pdf_exponential',)
    args = ('lam',)

    def logpdf(self, x, lam):
        return _ln(lam) - lam * x

    def dlogpdf(self, x, lam):
        return [-lam + 0 * x, 1.0 / lam - x]


@register
class PdfPoisson(_PdfBase):
    """Probability of counts ``sample`` under Poisson distributions with rates ``lam``.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random_pdf_poisson(mx.nd.array([[0., 2.]]),
    ...                          mx.nd.array([1.])).asnumpy().round(4)
    array([[0.3679, 0.1839]], dtype=float32)
    """
    name = '_random_pdf_poisson'
    aliases = ('random_pdf_poisson',)
    args = ('lam',)
    discrete = True

    def logpdf(self, x, lam):
        return x * _ln(lam) - lam - gammaln(x + 1)

    def dlogpdf(self, x, lam):
        return [None, x / lam - 1]


@register
class PdfNegativeBinomial(_PdfBase):
    """Probability of ``sample`` failures before ``k`` successes, success probability
    ``p``: ``Gamma(x+k) / (x! Gamma(k)) p**k (1-p)**x``.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random_pdf_negative_binomial(mx.nd.array([[3.]]), mx.nd.array([2.]),
    ...                                    mx.nd.array([0.4])).asnumpy().round(5)
    array([[0.13824]], dtype=float32)
    """
    name = '_random_pdf_negative_binomial'
    aliases = ('random_pdf_negative_binomial',)
    args = ('k', 'p')
    discrete = True

    def logpdf(self, x, k, prob):
        return (gammaln(x + k) - gammaln(x + 1) - gammaln(k) + k * _ln(prob)
                + x * _ln(1 - prob))

    def dlogpdf(self, x, k, prob):
        return [None, digamma(x + k) - digamma(k) + _ln(prob), k / prob - x / (1 - prob)]


@register
class PdfGeneralizedNegativeBinomial(_PdfBase):
    """Negative binomial by mean ``mu`` and dispersion ``alpha``: ``k = 1/alpha``,
    ``p = 1/(1 + alpha mu)``.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random_pdf_generalized_negative_binomial(
    ...     mx.nd.array([[3.]]), mx.nd.array([2.]), mx.nd.array([0.4])).asnumpy().round(4)
    array([[0.1325]], dtype=float32)
    """
    name = '_random_pdf_generalized_negative_binomial'
    aliases = ('random_pdf_generalized_negative_binomial',)
    args = ('mu', 'alpha')
    discrete = True

    def logpdf(self, x, mu, alpha):
        k = 1.0 / alpha
        am = alpha * mu
        return (gammaln(x + k) - gammaln(x + 1) - gammaln(k) - k * np.log1p(am)
                + x * (_ln(am) - np.log1p(am)))

    def dlogpdf(self, x, mu, alpha):
        k = 1.0 / alpha
        am1 = 1 + alpha * mu
        dmu = x / mu - (1 + x * alpha) / am1
        dalpha = (-(digamma(x + k) - digamma(k)) * k * k + np.log1p(alpha * mu) * k * k
                  - mu * k / am1 + x * k - x * mu / am1)
        return [None, dmu, dalpha]


@register
class PdfDirichlet(_PdfBase):
    """Density of Dirichlet distributions with concentrations ``alpha`` (shape
    ``(..., k)``) at points ``sample`` (shape ``(..., m, k)``); the output is
    ``(..., m)``.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random_pdf_dirichlet(mx.nd.array([[[0.2, 0.3, 0.5]]]),
    ...                            mx.nd.array([[1., 1., 1.]])).asnumpy()
    array([[2.]], dtype=float32)
    """
    name = '_random_pdf_dirichlet'
    aliases = ('random_pdf_dirichlet',)
    args = ('alpha',)
    event = True

    def logpdf(self, x, alpha):
        return (gammaln(alpha.sum(-1)) - gammaln(alpha).sum(-1)
                + ((alpha - 1) * _ln(x)).sum(-1))

    def dlogpdf(self, x, alpha):
        return [(alpha - 1) / x,
                digamma(alpha.sum(-1, keepdims=True)) - digamma(alpha) + _ln(x)]

