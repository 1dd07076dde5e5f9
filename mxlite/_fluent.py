"""Fluent methods (`x.sum(axis=1)`, `s.exp()`) on NDArray and Symbol, as MXNet has them."""

FLUENT = (
    'reshape_like zeros_like ones_like broadcast_axes repeat pad swapaxes split split_v2 slice '
    'slice_axis slice_like take one_hot pick sort topk argsort argmax argmax_channel argmin '
    'clip abs sign flatten shape_array size_array expand_dims tile transpose flip '
    'depth_to_space space_to_depth diag sum nansum prod nanprod mean max min norm round rint '
    'fix floor ceil trunc sin cos tan arcsin arccos arctan degrees radians sinh cosh tanh '
    'arcsinh arccosh arctanh exp expm1 log log10 log2 log1p sqrt rsqrt cbrt rcbrt square '
    'reciprocal relu sigmoid softmax log_softmax softmin squeeze broadcast_to broadcast_like'
).split()


def install(cls, namespace):
    """Give `cls` a method per fluent name that calls namespace.<name>(self, ...)."""
    for name in FLUENT:
        if name in cls.__dict__:
            continue
        setattr(cls, name, _method(name, namespace))


def _method(name, namespace):
    def method(self, *args, **kwargs):
        fn = getattr(namespace, name, None)
        if fn is None:
            raise AttributeError("'%s' object has no attribute '%s' (operator not available)"
                                 % (type(self).__name__, name))
        return fn(self, *args, **kwargs)
    method.__name__ = name
    method.__doc__ = 'Fluent form of `%s(self, ...)`.' % name
    return method
