"""Filling the mx.nd / mx.sym namespaces with functions made from the operator records.

Both frontends (and their sub-namespaces `linalg`, `contrib`, `random`) do the same walk
over the registry; only the function factory (`mxlite.ndarray.register.make_function` or
`mxlite.symbol.register.make_function`) differs, so it is passed in.
"""
from .ops import registry


def populate(namespace, internal_namespace, make_function):
    """Every operator into `internal_namespace` (all names) and `namespace` (public ones).

    A public name is one without a leading underscore, of an op that is not hidden, and
    not already defined by hand in `namespace` (hand-written functions win).
    """
    for key, op in registry.all_ops().items():
        fn = make_function(op, key)
        setattr(internal_namespace, key, fn)
        if not key.startswith('_') and not op.hidden and key not in namespace.__dict__:
            setattr(namespace, key, fn)


def populate_prefixed(namespace, make_function, prefix, suffix=''):
    """Each op named ``<prefix><short>`` (ending in `suffix`) into `namespace` as `short`.

    An alias with the prefix (CTCLoss's ``_contrib_ctc_loss``) adds its short name too,
    unless an op's own name already took it; its nodes carry the op's own name, as in
    MXNet's JSON. Returns the short names, sorted, for the namespace's ``__all__``.

    Examples
    --------
    ``populate_prefixed(mx.nd.linalg, make_function, '_linalg_')`` makes
    ``mx.nd.linalg.gemm2`` from the ``_linalg_gemm2`` record.
    """
    found = [(key[len(prefix):], op) for key, op in sorted(registry.all_ops().items())
             if key.startswith(prefix) and key.endswith(suffix)]
    own = [(short, op) for short, op in found if op.name == prefix + short]
    taken = {short for short, _ in own}
    aliases = [(short, op) for short, op in found if short not in taken]
    names = []
    for short, op in own + aliases:
        fn = make_function(op, short)
        fn.__module__ = namespace.__name__
        setattr(namespace, short, fn)
        names.append(short)
    return sorted(names)
