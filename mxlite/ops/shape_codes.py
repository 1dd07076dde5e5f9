"""MXNet's Reshape codes (0, -1, -2, -3, -4, reverse), shared by NDArray.reshape and Reshape."""
from ..base import ShapeError


def resolve_reshape(src, target, reverse=False):
    """The concrete shape that `target` (with MXNet's special codes) means for `src`.

    0 copies a dimension, -1 infers one, -2 copies all remaining, -3 merges two, -4 splits
    one into the two values that follow (one may be -1). `reverse` reads both right to left.
    """
    src = tuple(src)
    target = tuple(int(t) for t in target)
    if reverse:
        src_r, tgt_r = src[::-1], list(target[::-1])
        # -4 takes its two following values; reversed, they precede it
        fixed = []
        i = 0
        while i < len(tgt_r):
            if i + 2 < len(tgt_r) and tgt_r[i + 2] == -4:
                fixed += [-4, tgt_r[i + 1], tgt_r[i]]
                i += 3
            else:
                fixed.append(tgt_r[i])
                i += 1
        return resolve_reshape(src_r, fixed)[::-1]
    out = []
    infer = -1
    i = 0  # position in src
    j = 0
    while j < len(target):
        t = target[j]
        if t > 0:
            out.append(t)
            i += 1
        elif t == 0:
            if i >= len(src):
                raise ShapeError('Reshape: code 0 at position %d has no input dimension to copy '
                                 '(input shape %s, target %s)' % (j, src, target))
            out.append(src[i])
            i += 1
        elif t == -1:
            if infer >= 0:
                raise ShapeError('Reshape: only one dimension can be -1 (target %s)' % (target,))
            infer = len(out)
            out.append(-1)
            i += 1
        elif t == -2:
            out.extend(src[i:])
            i = len(src)
        elif t == -3:
            if i + 1 >= len(src):
                raise ShapeError('Reshape: -3 needs two input dimensions at position %d '
                                 '(input shape %s)' % (i, src))
            out.append(src[i] * src[i + 1])
            i += 2
        elif t == -4:
            if j + 2 >= len(target) or i >= len(src):
                raise ShapeError('Reshape: -4 must be followed by two values (target %s)'
                                 % (target,))
            d0, d1 = target[j + 1], target[j + 2]
            whole = src[i]
            if d0 == -1:
                d0 = whole // d1 if d1 else 0
            if d1 == -1:
                d1 = whole // d0 if d0 else 0
            if d0 * d1 != whole:
                raise ShapeError('Reshape: -4 splits dimension %d of size %d into %d x %d'
                                 % (i, whole, d0, d1))
            out.extend([d0, d1])
            i += 1
            j += 2
        else:
            raise ShapeError('Reshape: invalid code %d in target %s' % (t, target))
        j += 1
    total = 1
    for n in src:
        total *= n
    if infer >= 0:
        known = 1
        for k, n in enumerate(out):
            if k != infer:
                known *= n
        if known == 0 or total % known:
            raise ShapeError('Reshape: cannot infer -1 to reshape %s into %s' % (src, target))
        out[infer] = total // known
    size = 1
    for n in out:
        size *= n
    if size != total:
        raise ShapeError('Reshape: target shape %s (size %d) does not match input shape %s '
                         '(size %d)' % (tuple(out), size, src, total))
    return tuple(out)
