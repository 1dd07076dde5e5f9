"""Random number streams: one NumPy Generator per context, reset by `mx.random.seed`."""
import numpy as np

from .context import Context, current_context

__all__ = ['seed', 'generator', 'uniform', 'normal', 'randn', 'randint', 'exponential',
           'gamma', 'poisson', 'negative_binomial', 'generalized_negative_binomial',
           'multinomial', 'shuffle']

_GENERATORS = {}
_BASE_SEED = [None]


def seed(seed_state, ctx='all'):
    """Seed the streams of every context (ctx='all') or of one context.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.random.seed(42); a = mx.nd.random.uniform(shape=(2,)).asnumpy()
    >>> mx.random.seed(42); b = mx.nd.random.uniform(shape=(2,)).asnumpy()
    >>> bool((a == b).all())
    True
    """
    seed_state = int(seed_state)
    if ctx == 'all':
        _BASE_SEED[0] = seed_state
        _GENERATORS.clear()
        # numpy's global state too: initializers and iterators that shuffle use it
        np.random.seed(seed_state % (2 ** 32))
    else:
        ctx = Context(ctx)
        _GENERATORS[ctx] = _new_generator(seed_state, ctx)


def _new_generator(seed_state, ctx):
    # each context gets its own reproducible stream derived from the seed
    return np.random.Generator(np.random.PCG64([seed_state, ctx.device_typeid, ctx.device_id]))


def generator(ctx=None):
    """The Generator of `ctx` (created on first use)."""
    ctx = current_context() if ctx is None else ctx
    gen = _GENERATORS.get(ctx)
    if gen is None:
        base = _BASE_SEED[0]
        if base is None:
            base = int(np.random.randint(0, 2 ** 31 - 1))
        gen = _GENERATORS[ctx] = _new_generator(base, ctx)
    return gen


def __getattr__(name):
    # mx.random.uniform etc. are the mx.nd.random functions
    if name in __all__:
        from .ndarray import random as nd_random
        return getattr(nd_random, name)
    raise AttributeError(name)
