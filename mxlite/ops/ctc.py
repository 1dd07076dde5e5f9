"""CTCLoss: Connectionist Temporal Classification loss (Graves et al., 2006).

The loss of each sample is ``-log p(label | data)``, summed over every alignment of the
label to the frames, with a softmax over the alphabet inside. It is computed by the
forward-backward (alpha-beta) recursion in log space over the label extended with blanks
(``b l1 b l2 ... b``, length ``S = 2L + 1``): one vectorised step per time step, over the
whole batch and every extended position at once.

As in MXNet, the gradient for ``data`` is made in the forward pass of training (it needs
both recursions, which forward already has) and kept in a hidden second output; backward
only scales it by the head gradient of each sample.
"""
import numpy as np

from ..base import MXNetError
from .registry import Bool, Enum, Operator, register, shape_check

_NEG = -np.inf


def _log_softmax(x):
    """log(softmax(x)) over the last axis, in float64."""
    x = x.astype(np.float64)
    x -= x.max(axis=-1, keepdims=True)
    x -= np.log(np.exp(x).sum(axis=-1, keepdims=True))
    return x


def _lse3(a, b, c):
    """log(exp(a) + exp(b) + exp(c)), -inf where all three are -inf (no NaN, no warning)."""
    m = np.maximum(np.maximum(a, b), c)
    safe = np.where(m == _NEG, 0.0, m)
    with np.errstate(under='ignore'):
        total = np.exp(a - safe) + np.exp(b - safe) + np.exp(c - safe)
    with np.errstate(divide='ignore'):
        return np.log(total) + safe


def _final(row, ends):
    """log p of the alignments that end at the last label or the last blank: row (N, S)
    at extended positions ``ends - 1`` and ``ends - 2`` (the latter only when ends >= 2)."""
    n = np.arange(row.shape[0])
    last = row[n, ends - 1]
    prev = np.where(ends >= 2, row[n, np.maximum(ends - 2, 0)], _NEG)
    return np.logaddexp(last, prev)


def ctc_loss(x, labels, data_len, label_len, blank, want_grad):
    """CTC loss of each sample and (optionally) its gradient for the activations.

    x: (T, N, C) activations before softmax; labels: (N, L) int; data_len, label_len: (N,)
    int; blank: the blank's class index. Returns (loss (N,), grad (T, N, C) or None), both
    float64. Infeasible samples (the label cannot fit in its frames) get a loss of 0 and a
    zero gradient, as MXNet's CPU kernel reports them.
    """
    T, N, C = x.shape
    L = labels.shape[1]
    S = 2 * L + 1
    if T == 0:      # no frames: only an empty label fits (loss 0), and 0 when infeasible
        return np.zeros(N), (np.zeros((0, N, C)) if want_grad else None)
    logp = _log_softmax(x)                                   # (T, N, C)
    ext = np.full((N, S), blank, dtype=np.int64)             # b l1 b l2 ... b
    ext[:, 1::2] = np.where(np.arange(L) < label_len[:, None], labels, blank)
    ends = 2 * label_len + 1                                 # extended length per sample
    inside = np.arange(S) < ends[:, None]
    # s-2 -> s may skip the blank between two labels unless they are equal
    skip = np.zeros((N, S), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    skip_add = np.where(skip, 0.0, _NEG)
    lp = np.where(inside, logp[:, np.arange(N)[:, None], ext], _NEG)  # (T, N, S)

    ll = np.where(label_len == 0, 0.0, _NEG)                 # what zero frames can emit
    # alpha, with two -inf columns on the left so that s-1 and s-2 are plain slices
    alpha = np.full((T if want_grad else 2, N, S + 2), _NEG)
    alpha[0, :, 2] = lp[0, :, 0]
    if S > 1:
        alpha[0, :, 3] = lp[0, :, 1]
    for t in range(T):
        cur = alpha[t if want_grad else t % 2]
        if t:
            prev = alpha[t - 1 if want_grad else (t - 1) % 2]
            cur[:, 2:] = _lse3(prev[:, 2:], prev[:, 1:-1], prev[:, :-2] + skip_add) + lp[t]
        done = np.nonzero(data_len == t + 1)[0]
        if done.size:
            ll[done] = _final(cur[done, 2:], ends[done])
    feasible = ll > _NEG
    loss = np.where(feasible, -ll, 0.0)
    if not want_grad:
        return loss, None

    # beta (emissions from t on, including t's), two -inf columns on the right
    beta = np.full((T, N, S + 2), _NEG)
    skip_next = np.full((N, S), _NEG)
    skip_next[:, :-2] = skip_add[:, 2:]                       # s -> s+2 allowed
    n_all = np.arange(N)
    for t in range(T - 1, -1, -1):
        if t < T - 1:
            nxt = beta[t + 1]
            beta[t, :, :S] = _lse3(nxt[:, :S], nxt[:, 1:S + 1], nxt[:, 2:] + skip_next) + lp[t]
        start = np.nonzero(data_len == t + 1)[0]             # these samples end at t
        if start.size:
            e = ends[start]
            beta[t, start, e - 1] = lp[t, start, e - 1]
            has2 = e >= 2
            beta[t, start[has2], e[has2] - 2] = lp[t, start[has2], e[has2] - 2]
    beta = beta[:, :, :S]
    alpha = alpha[:, :, 2:]
    # posterior occupancy of each extended position: alpha * beta / (y * p)
    safe_ll = np.where(feasible, ll, 0.0)
    with np.errstate(invalid='ignore'):
        log_occ = alpha + beta - lp - safe_ll[None, :, None]
    occ = np.exp(np.where(lp > _NEG, log_occ, _NEG))
    # sum the occupancy of every position that emits class k (bincount: a vectorised
    # scatter-add whose memory is T*N*S, not T*N*S*C)
    flat = ((np.arange(T)[:, None, None] * N + n_all[None, :, None]) * C + ext[None])
    emitted = np.bincount(flat.ravel(), weights=occ.ravel(), minlength=T * N * C)
    grad = np.exp(logp) - emitted.reshape(T, N, C)
    live = (np.arange(T)[:, None] < data_len[None, :]) & feasible[None, :]
    grad *= live[:, :, None]
    return loss, grad


def _as_int(a):
    """Index values as MXNet reads them (a cast to int that truncates toward zero)."""
    return np.asarray(a).astype(np.int64)


class _CTCLossBase(Operator):
    """The CTCLoss record; see `CTCLoss`."""
    params = {
        'use_data_lengths': Bool(False, doc='Whether the data lengths are given by '
                                            '`data_lengths`; else every sample has the '
                                            'full sequence length.'),
        'use_label_lengths': Bool(False, doc='Whether the label lengths are given by '
                                             '`label_lengths`; else a label ends at its '
                                             'first padding value (0 with '
                                             "blank_label='first', -1 with 'last')."),
        'blank_label': Enum(('first', 'last'), 'first',
                            doc="The blank's class: 0 ('first') or alphabet_size-1 "
                                "('last')."),
    }
    nograd_inputs = (1, 2, 3)
    backward_uses_inputs = False
    backward_uses_outputs = True      # the gradient made in forward (hidden output 1)

    def list_arguments(self, p):
        names = ['data', 'label']
        if p.use_data_lengths:
            names.append('data_lengths')
        if p.use_label_lengths:
            names.append('label_lengths')
        return names

    def list_outputs(self, p):
        # MXNet 1.9.1 misspells the attribute that would name them 'out' and 'grad', so
        # its symbols show the generic names of a two-output op
        return ['output0', 'output1']

    def num_visible_outputs(self, p):
        return 1

    def infer_shape(self, p, in_shapes):
        names = self.list_arguments(p)
        shapes = [None if s is None else tuple(s) for s in in_shapes]
        data, label = shapes[0], shapes[1]
        batch = None
        if data is not None:
            shape_check(len(data) == 3, "input 'data' has shape %s; expected 3 dimensions "
                        "(sequence_length, batch_size, alphabet_size)", data)
            batch = data[1]
        if label is not None:
            shape_check(len(label) == 2, "input 'label' has shape %s; expected 2 dimensions "
                        "(batch_size, label_sequence_length)", label)
            shape_check(batch is None or label[0] == batch,
                        "input 'label' has shape %s but data has shape %s; expected "
                        "label.shape[0] == data.shape[1] (the batch size)", label, data)
            batch = label[0] if batch is None else batch
            shape_check(data is None or label[1] <= data[0],
                        "input 'label' has shape %s but data has shape %s; the labels per "
                        "sample (%d) cannot exceed the sequence length (%d)", label, data,
                        label[1], data[0] if data else 0)
        for i in range(2, len(shapes)):
            s = shapes[i]
            if s is None:
                shapes[i] = None if batch is None else (batch,)
                continue
            shape_check(len(s) == 1 and (batch is None or s[0] == batch),
                        "input '%s' has shape %s; expected (%s,), one length per sample",
                        names[i] if i < len(names) else 'input %d' % i, s, batch)
        return shapes, [None if batch is None else (batch,), data]

    def infer_type(self, p, in_types):
        data = in_types[0]
        if data is None:
            return in_types, [None, None]
        # labels and lengths may be of any type (they are read as integers)
        return [data] + [data if t is None else t for t in in_types[1:]], [data, data]

    def _lengths(self, p, inputs, T, C):
        """(labels, data lengths, label lengths) as int64, checked against the data."""
        labels = _as_int(inputs[1])
        N, L = labels.shape
        if p.use_data_lengths:
            data_len = _as_int(inputs[2]).reshape(-1)
            bad = (data_len < 0) | (data_len > T)
            if bad.any():
                i = int(np.argmax(bad))
                raise MXNetError('CTCLoss: data_lengths[%d] = %d is outside [0, %d], the '
                                 'sequence length of data' % (i, data_len[i], T))
        else:
            data_len = np.full(N, T, dtype=np.int64)
        if p.use_label_lengths:
            label_len = _as_int(inputs[2 + p.use_data_lengths]).reshape(-1)
            bad = (label_len < 0) | (label_len > L)
            if bad.any():
                i = int(np.argmax(bad))
                raise MXNetError('CTCLoss: label_lengths[%d] = %d is outside [0, %d], the '
                                 'length of label rows' % (i, label_len[i], L))
        else:
            pad = labels == (0 if p.blank_label == 'first' else -1)
            label_len = np.where(pad.any(axis=1), pad.argmax(axis=1), L)
        used = np.arange(L) < label_len[:, None]
        bad = used & ((labels < 0) | (labels >= C))
        if bad.any():
            n, j = (int(v) for v in np.argwhere(bad)[0])
            raise MXNetError('CTCLoss: label[%d, %d] = %d is not a class of the alphabet of '
                             '%d (data.shape[2]); labels before the padding must be in '
                             '[0, %d)' % (n, j, labels[n, j], C, C))
        return labels, data_len, label_len

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        T, N, C = x.shape
        labels, data_len, label_len = self._lengths(p, inputs, T, C)
        blank = 0 if p.blank_label == 'first' else C - 1
        loss, grad = ctc_loss(x, labels, data_len, label_len, blank, ctx.is_train)
        outputs[0][...] = loss
        if grad is None:
            outputs[1][...] = 0
        else:
            outputs[1][...] = grad

    def backward(self, p, ograds, inputs, outputs, ctx):
        grad = outputs[1]
        head = ograds[0] if ograds and ograds[0] is not None else None
        if head is None:
            out = grad.copy()
        else:
            # the loss of sample n scales its gradient at every frame (unlike the
            # *Output heads, CTCLoss uses the head gradient, as in MXNet)
            out = grad * head.astype(grad.dtype, copy=False)[None, :, None]
        return [out] + [None] * (len(inputs) - 1)


@register
class CTCLoss(_CTCLossBase):
    """Connectionist Temporal Classification loss, one value per sample.

    ``data`` is (sequence_length, batch_size, alphabet_size) of activations before the
    softmax (applied inside); ``label`` is (batch_size, label_sequence_length) of class
    indices; the output is (batch_size,): ``-log p(label | data)`` summed over every
    alignment of the label to the frames, where an alignment may repeat a class over
    consecutive frames and put blanks between classes.

    With ``blank_label='first'`` class 0 is the blank, labels are 1 .. alphabet_size-1
    and 0 pads a label row after its end; with ``'last'`` class alphabet_size-1 is the
    blank, labels are 0 .. alphabet_size-2 and -1 pads. ``use_label_lengths=True`` takes
    the lengths from ``label_lengths`` instead of the padding; ``use_data_lengths=True``
    takes each sample's number of frames from ``data_lengths`` (later frames get zero
    gradient). The inputs are ``data, label[, data_lengths][, label_lengths]``.

    The gradient for ``data`` is multiplied by each sample's head gradient (CTCLoss is
    not a loss head like SoftmaxOutput; wrap it in MakeLoss to train on it). Labels and
    lengths get no gradient. A sample whose label cannot fit in its frames has a loss of
    0 and zero gradient, as MXNet 1.9.1's CPU kernel reports it. Also available as
    ``ctc_loss`` and ``contrib.CTCLoss`` / ``contrib.ctc_loss``.

    Parameters
    ----------
    data : Symbol or NDArray
    label : Symbol or NDArray
    data_lengths : Symbol or NDArray, only with use_data_lengths
    label_lengths : Symbol or NDArray, only with use_label_lengths
    use_data_lengths : bool, default False
    use_label_lengths : bool, default False
    blank_label : {'first', 'last'}, default 'first'

    Examples
    --------
    >>> import mxlite as mx
    >>> data = mx.nd.zeros((2, 1, 3))        # 2 frames, uniform over {blank, 1, 2}
    >>> mx.nd.CTCLoss(data, mx.nd.array([[1]])).asnumpy()   # -log(3/9): b1, 1b, 11
    array([1.0986123], dtype=float32)
    """
    name = 'CTCLoss'
    aliases = ('ctc_loss', '_contrib_CTCLoss', '_contrib_ctc_loss')   # MXNet's names
