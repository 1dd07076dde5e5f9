"""RNN: MXNet's fused recurrent operator (vanilla RNN, LSTM, GRU; stacked, bidirectional).

All weights live in one flat ``parameters`` vector, in MXNet's (and cuDNN's) packed
layout: first every weight matrix, layer by layer and, within a layer, direction by
direction (``i2h`` of shape (G*H, input), ``h2h`` of shape (G*H, H), and ``h2r`` of shape
(P, H) when ``projection_size`` is set), then every bias in the same order (``i2h`` then
``h2h``, G*H each). Gates are stacked in MXNet's order: LSTM i, f, g, o; GRU r, z, n.

The forward pass projects the inputs of all time steps with one GEMM and then runs the
recurrence with one small GEMM per step; the backward pass is BPTT over the activations
the forward pass saved, with the weight gradients again gathered into single GEMMs.
"""
import numpy as np

from .registry import Bool, Enum, Float, FloatOrNone, Int, IntOrNone, Operator, register, \
    shape_check

__all__ = ['RNN', 'rnn_param_size', 'rnn_param_layout']

_GATES = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}


def rnn_param_size(mode, num_layers, input_size, state_size, bidirectional=False,
                   projection_size=None):
    """Length of the flat ``parameters`` vector of an RNN op (MXNet's formula)."""
    return sum(sl.stop - sl.start for _, _, _, sl, _ in
               _layout_items(mode, num_layers, input_size, state_size, bidirectional,
                             projection_size))


def _layout_items(mode, num_layers, input_size, state_size, bidirectional, projection_size):
    """Yield (kind, layer, direction, slice, shape) over the packed vector, in order."""
    g = _GATES[mode]
    h = state_size
    hout = projection_size or h
    dirs = 2 if bidirectional else 1
    pos = 0
    for layer in range(num_layers):
        n_in = input_size if layer == 0 else hout * dirs
        for d in range(dirs):
            shapes = [('i2h_weight', (g * h, n_in)), ('h2h_weight', (g * h, hout))]
            if projection_size:
                shapes.append(('h2r_weight', (projection_size, h)))
            for kind, shape in shapes:
                size = shape[0] * shape[1]
                yield kind, layer, d, slice(pos, pos + size), shape
                pos += size
    for layer in range(num_layers):
        for d in range(dirs):
            for kind in ('i2h_bias', 'h2h_bias'):
                yield kind, layer, d, slice(pos, pos + g * h), (g * h,)
                pos += g * h


def rnn_param_layout(mode, num_layers, input_size, state_size, bidirectional=False,
                     projection_size=None):
    """{(layer, direction): {kind: (slice, shape)}} of the packed parameter vector.

    kind is 'i2h_weight', 'h2h_weight', 'h2r_weight' (projection only), 'i2h_bias' or
    'h2h_bias'; direction 0 runs forwards in time, 1 backwards.
    """
    out = {}
    for kind, layer, d, sl, shape in _layout_items(mode, num_layers, input_size, state_size,
                                                   bidirectional, projection_size):
        out.setdefault((layer, d), {})[kind] = (sl, shape)
    return out


def _sigmoid(x, out):
    # 0.5 * (1 + tanh(x / 2)): no overflow warnings for large |x|
    np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def _unpack(params, layout, key):
    w = {}
    for kind, (sl, shape) in layout[key].items():
        w[kind] = params[sl].reshape(shape)
    return w


def _reverse_index(lengths, T, N):
    """idx[t, n]: time step read at step t when running sample n backwards in time (its
    valid part reversed, the padding left in place). The map is its own inverse."""
    t = np.arange(T)[:, None]
    ln = lengths[None, :]
    return np.where(t < ln, ln - 1 - t, t)


def _time_gather(x, idx):
    if idx is None:
        return np.ascontiguousarray(x[::-1])
    return np.take_along_axis(x, idx[:, :, None], axis=0)


# ----------------------------------------------------------------------------- one direction
def _run_forward(mode, xp, w, h0, c0, mask, clip):
    """Recurrence over one direction. xp: (T, N, G*H) input projections (biases added).

    Returns (S, cache): S (T+1, N, Hout) with S[0] = h0 and S[t+1] the state carried
    after step t (it stays put on padded steps).
    """
    T, N, _ = xp.shape
    wh = w['h2h_weight']
    wr = w.get('h2r_weight')
    H = wh.shape[0] // _GATES[mode]
    hout = wh.shape[1]
    dt = xp.dtype
    S = np.empty((T + 1, N, hout), dt)
    S[0] = h0
    gates = np.empty((T, N, wh.shape[0]), dt)
    cache = {'S': S, 'gates': gates}
    whT = wh.T
    if mode == 'lstm':
        C = np.empty((T + 1, N, H), dt)
        C[0] = c0
        TC = np.empty((T, N, H), dt)
        HF = np.empty((T, N, H), dt) if wr is not None else None
        keep = np.empty((T, N, H), dtype=bool) if clip is not None else None
        cache.update(C=C, TC=TC, HF=HF, keep=keep)
        for t in range(T):
            g = gates[t]
            np.dot(S[t], whT, out=g)
            g += xp[t]
            _sigmoid(g[:, :2 * H], g[:, :2 * H])
            np.tanh(g[:, 2 * H:3 * H], out=g[:, 2 * H:3 * H])
            _sigmoid(g[:, 3 * H:], g[:, 3 * H:])
            c = C[t + 1]
            np.multiply(g[:, H:2 * H], C[t], out=c)
            c += g[:, :H] * g[:, 2 * H:3 * H]
            if clip is not None:
                lo, hi, nan_to_lo = clip
                keep[t] = (c >= lo) & (c <= hi)
                if nan_to_lo:
                    np.copyto(c, lo, where=np.isnan(c))
                np.clip(c, lo, hi, out=c)
            tc = np.tanh(c, out=TC[t])
            hf = np.multiply(g[:, 3 * H:], tc, out=HF[t] if HF is not None else S[t + 1])
            if wr is not None:
                np.dot(hf, wr.T, out=S[t + 1])
            if mask is not None:
                m = mask[t]
                np.copyto(S[t + 1], S[t], where=~m)
                np.copyto(C[t + 1], C[t], where=~m)
        return S, cache
    if mode == 'gru':
        bh = w['h2h_bias']
        HN = np.empty((T, N, H), dt)    # h2h part of the n gate (with its bias)
        cache['HN'] = HN
        hh = np.empty((N, 3 * H), dt)
        for t in range(T):
            g = gates[t]
            np.dot(S[t], whT, out=hh)
            hh += bh
            np.add(xp[t, :, :2 * H], hh[:, :2 * H], out=g[:, :2 * H])
            _sigmoid(g[:, :2 * H], g[:, :2 * H])
            HN[t] = hh[:, 2 * H:]
            n = g[:, 2 * H:]
            np.multiply(g[:, :H], HN[t], out=n)
            n += xp[t, :, 2 * H:]
            np.tanh(n, out=n)
            z = g[:, H:2 * H]
            h = S[t + 1]
            # h = (1 - z) * n + z * h_prev = n + z * (h_prev - n)
            np.subtract(S[t], n, out=h)
            h *= z
            h += n
            if mask is not None:
                np.copyto(h, S[t], where=~mask[t])
        return S, cache
    for t in range(T):
        g = gates[t]
        np.dot(S[t], whT, out=g)
        g += xp[t]
        if mode == 'rnn_tanh':
            np.tanh(g, out=g)
        else:
            np.maximum(g, 0, out=g)
        if mask is not None:
            np.copyto(S[t + 1], S[t], where=~mask[t])
            np.copyto(S[t + 1], g, where=mask[t])
        else:
            S[t + 1] = g
    return S, cache


def _run_backward(mode, dy, dhT, dcT, w, cache, mask, grads):
    """BPTT over one direction. dy: (T, N, Hout) gradient of the outputs (already zero on
    padded steps). Accumulates weight gradients into `grads`; returns (dxp, dh0, dc0)
    where dxp is the gradient of the input projections (T, N, G*H)."""
    S, gates = cache['S'], cache['gates']
    T, N, GH = gates.shape
    wh = w['h2h_weight']
    wr = w.get('h2r_weight')
    H = GH // _GATES[mode]
    dt = gates.dtype
    dxp = np.empty((T, N, GH), dt)
    dh = np.array(dhT, dtype=dt, copy=True)
    dc0 = None
    if mode == 'lstm':
        C, TC, HF, keep = cache['C'], cache['TC'], cache['HF'], cache['keep']
        dc = np.array(dcT, dtype=dt, copy=True)
        dR = np.empty((T, N, S.shape[2]), dt) if wr is not None else None
        for t in range(T - 1, -1, -1):
            dht = dh + dy[t]
            if wr is not None:
                dR[t] = dht
                dhf = np.dot(dht, wr)
            else:
                dhf = dht
            g = gates[t]
            i, f, gg, o = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
            tc = TC[t]
            dct = dc + dhf * o * (1 - tc * tc)
            if keep is not None:
                dct *= keep[t]
            d = dxp[t]
            np.multiply(dct * gg, i * (1 - i), out=d[:, :H])
            np.multiply(dct * C[t], f * (1 - f), out=d[:, H:2 * H])
            np.multiply(dct * i, 1 - gg * gg, out=d[:, 2 * H:3 * H])
            np.multiply(dhf * tc, o * (1 - o), out=d[:, 3 * H:])
            dh_prev = np.dot(d, wh)
            dc_prev = dct * f
            if mask is not None:
                m = mask[t]
                d *= m
                if dR is not None:
                    dR[t] *= m
                dh_prev = np.where(m, dh_prev, dh)
                dc_prev = np.where(m, dc_prev, dc)
            dh, dc = dh_prev, dc_prev
        dc0 = dc
        if wr is not None:
            grads['h2r_weight'] += np.dot(dR.reshape(-1, dR.shape[2]).T,
                                          HF.reshape(-1, H))
        dhh = dxp
    elif mode == 'gru':
        HN = cache['HN']
        dhh = np.empty((T, N, GH), dt)
        for t in range(T - 1, -1, -1):
            dht = dh + dy[t]
            g = gates[t]
            r, z, n = g[:, :H], g[:, H:2 * H], g[:, 2 * H:]
            d, e = dxp[t], dhh[t]
            dan = np.multiply(dht * (1 - z), 1 - n * n, out=d[:, 2 * H:])
            np.multiply(dan * HN[t], r * (1 - r), out=d[:, :H])
            np.multiply(dht * (S[t] - n), z * (1 - z), out=d[:, H:2 * H])
            e[:, :2 * H] = d[:, :2 * H]
            np.multiply(dan, r, out=e[:, 2 * H:])
            dh_prev = np.dot(e, wh)
            dh_prev += dht * z
            if mask is not None:
                m = mask[t]
                d *= m
                e *= m
                dh_prev = np.where(m, dh_prev, dh)
            dh = dh_prev
    else:
        for t in range(T - 1, -1, -1):
            dht = dh + dy[t]
            a = gates[t]
            d = dxp[t]
            if mode == 'rnn_tanh':
                np.multiply(dht, 1 - a * a, out=d)
            else:
                np.multiply(dht, a > 0, out=d)
            dh_prev = np.dot(d, wh)
            if mask is not None:
                m = mask[t]
                d *= m
                dh_prev = np.where(m, dh_prev, dh)
            dh = dh_prev
        dhh = dxp
    # weight gradients of the recurrent part, one GEMM over all steps
    hprev = S[:-1].reshape(T * N, S.shape[2])
    dhh2 = dhh.reshape(T * N, GH)
    grads['h2h_weight'] += np.dot(dhh2.T, hprev)
    grads['h2h_bias'] += dhh2.sum(axis=0)
    return dxp, dh, dc0


# ----------------------------------------------------------------------------- the operator
@register
class RNN(Operator):
    """Applies a multi-layer recurrent network (vanilla RNN, LSTM or GRU) to a sequence.

    ``data`` is time-major (T, N, input_size). All weights and biases are packed in the
    flat ``parameters`` vector (see `rnn_param_layout`): every weight matrix, layer by
    layer and direction by direction (i2h, then h2h), then every bias in the same order.

    LSTM (gates i, f, g, o)::

        i, f, o = sigmoid(W_i x + b_i + R_i h + b'_i), ...;  g = tanh(W_g x + ... )
        c' = f * c + i * g;  h' = o * tanh(c')

    GRU (gates r, z, n, MXNet's/cuDNN's formula)::

        r = sigmoid(W_r x + b_r + R_r h + b'_r);  z = sigmoid(W_z x + b_z + R_z h + b'_z)
        n = tanh(W_n x + b_n + r * (R_n h + b'_n));  h' = (1 - z) * n + z * h

    With ``use_sequence_length`` the extra input ``sequence_length`` (N,) gives each
    sample's valid length: steps past it produce zeros and leave the state unchanged, and
    the backward direction runs over the valid part only (cuDNN's semantics; MXNet's CPU
    build does not offer this). ``projection_size`` adds an LSTM projection h = W_hr h'.

    Parameters
    ----------
    data : (T, N, input_size)
    parameters : 1-D, all weights then all biases
    state : (num_layers * D, N, state_size or projection_size) initial hidden state
    state_cell : (num_layers * D, N, state_size) initial cell state (LSTM only)
    sequence_length : (N,) valid lengths (only with use_sequence_length=True)
    state_size : int
    num_layers : int
    mode : {'rnn_relu', 'rnn_tanh', 'lstm', 'gru'}
    bidirectional : bool, default False (D = 2 when True)
    p : float, default 0
        Dropout rate on the outputs of each layer but the last (training only).
    state_outputs : bool, default False
        Also return the final hidden state (and cell state for LSTM).

    Returns
    -------
    out : (T, N, D * state_size), plus hy (and cy) when state_outputs=True.

    Examples
    --------
    >>> import mxlite as mx
    >>> from mxlite.ops.rnn import rnn_param_size
    >>> x = mx.nd.ones((5, 2, 3))
    >>> w = mx.nd.ones((rnn_param_size('gru', 1, 3, 4),)) * 0.1
    >>> h0 = mx.nd.zeros((1, 2, 4))
    >>> mx.nd.RNN(x, w, h0, state_size=4, num_layers=1, mode='gru').shape
    (5, 2, 4)
    """
    name = 'RNN'
    params = {
        'state_size': Int(doc='Size of the state for each layer.'),
        'num_layers': Int(doc='Number of stacked layers.'),
        'bidirectional': Bool(False, doc='Whether to use bidirectional recurrent layers.'),
        'mode': Enum(('gru', 'lstm', 'rnn_relu', 'rnn_tanh'), doc='The type of RNN.'),
        'p': Float(0.0, doc='Dropout rate on the outputs of each layer except the last.'),
        'state_outputs': Bool(False, doc='Whether to have the states as symbol outputs.'),
        'projection_size': IntOrNone(None, doc='Size of the LSTM projection.'),
        'lstm_state_clip_min': FloatOrNone(None, doc='Minimum clip value of LSTM states.'),
        'lstm_state_clip_max': FloatOrNone(None, doc='Maximum clip value of LSTM states.'),
        'lstm_state_clip_nan': Bool(False, doc='Whether NaN cell states become the clip '
                                               'minimum (only with a clip range).'),
        'use_sequence_length': Bool(False, doc='Whether to take the extra input '
                                               'sequence_length (valid length per sample).'),
    }
    backward_uses_outputs = False

    # ---- names
    def list_arguments(self, p):
        names = ['data', 'parameters', 'state']
        if p.mode == 'lstm':
            names.append('state_cell')
        if p.use_sequence_length:
            names.append('sequence_length')
        return names

    def list_outputs(self, p):
        if not p.state_outputs:
            return ['output']
        if p.mode == 'lstm':
            return ['output', 'state_output', 'statecell_output']
        return ['output', 'state_output']

    def _seq_index(self, p):
        return len(self.list_arguments(p)) - 1 if p.use_sequence_length else None

    def _check_params(self, p):
        shape_check(p.state_size > 0, 'state_size must be positive, got %d', p.state_size)
        shape_check(p.num_layers > 0, 'num_layers must be positive, got %d', p.num_layers)
        shape_check(0 <= p.p < 1, 'dropout p must be in [0, 1), got %s', p.p)
        if p.projection_size is not None:
            shape_check(p.mode == 'lstm', "projection_size is only supported with "
                        "mode='lstm', got mode='%s'", p.mode)
            shape_check(0 < p.projection_size < p.state_size, 'projection_size must be in '
                        '(0, state_size=%d), got %d', p.state_size, p.projection_size)
        clip = (p.lstm_state_clip_min, p.lstm_state_clip_max)
        shape_check((clip[0] is None) == (clip[1] is None), 'lstm_state_clip_min and '
                    'lstm_state_clip_max must be given together, got %s and %s', *clip)
        if clip[0] is not None:
            shape_check(p.mode == 'lstm', "lstm_state_clip_* need mode='lstm', got '%s'",
                        p.mode)
            shape_check(clip[0] <= clip[1], 'lstm_state_clip_min=%s exceeds '
                        'lstm_state_clip_max=%s', *clip)

    # ---- inference
    def infer_shape(self, p, in_shapes):
        self._check_params(p)
        shapes = list(in_shapes)
        names = self.list_arguments(p)
        data = shapes[0]
        dirs = 2 if p.bidirectional else 1
        hout = p.projection_size or p.state_size
        nstate = p.num_layers * dirs
        n_out = len(self.list_outputs(p))
        if data is None:
            return shapes, [None] * n_out
        shape_check(len(data) == 3, 'data must be 3-D (seq_length, batch, input_size), got '
                    'shape %s', tuple(data))
        T, N, I = data
        want = {'parameters': (rnn_param_size(p.mode, p.num_layers, I, p.state_size,
                                              p.bidirectional, p.projection_size),),
                'state': (nstate, N, hout), 'state_cell': (nstate, N, p.state_size),
                'sequence_length': (N,)}
        for k, name in enumerate(names[1:], 1):
            got = shapes[k]
            exp = want[name]
            if name == 'parameters':
                shape_check(got is None or tuple(got) == exp,
                            "input 'parameters' has shape %s but expected %s for data of "
                            "shape %s (mode=%s, num_layers=%d, state_size=%d, "
                            "bidirectional=%s)", got, exp, tuple(data), p.mode, p.num_layers,
                            p.state_size, p.bidirectional)
            else:
                shape_check(got is None or tuple(got) == exp,
                            "input '%s' has shape %s but expected %s (num_layers * "
                            "directions, batch, size) for data of shape %s",
                            name, got, exp, tuple(data))
            shapes[k] = exp
        outs = [(T, N, dirs * hout)]
        if p.state_outputs:
            outs.append((nstate, N, hout))
            if p.mode == 'lstm':
                outs.append((nstate, N, p.state_size))
        return shapes, outs

    def infer_type(self, p, in_types):
        types = list(in_types)
        seq = self._seq_index(p)
        known = next((t for k, t in enumerate(types) if t is not None and k != seq), None)
        n_out = len(self.list_outputs(p))
        if known is None:
            return types, [None] * n_out
        for k in range(len(types)):
            if k == seq:
                if types[k] is None:
                    types[k] = known
                continue
            if types[k] is not None and np.dtype(types[k]) != np.dtype(known):
                from ..base import TypeInferError
                raise TypeInferError("input '%s' has dtype %s but data has dtype %s; "
                                     "expected the same dtype" % (
                                         self.list_arguments(p)[k], np.dtype(types[k]).name,
                                         np.dtype(known).name))
            types[k] = known
        return types, [known] * n_out

    # ---- kernels
    def _setup(self, p, inputs):
        data = inputs[0]
        T, N, I = data.shape
        layout = rnn_param_layout(p.mode, p.num_layers, I, p.state_size, p.bidirectional,
                                  p.projection_size)
        lengths = idx = mask = None
        seq = self._seq_index(p)
        if seq is not None:
            lengths = np.clip(np.asarray(inputs[seq]).astype(np.int64).reshape(N), 0, T)
            mask = (np.arange(T)[:, None] < lengths[None, :])[:, :, None]   # (T, N, 1)
            idx = _reverse_index(lengths, T, N)
        clip = None
        if p.lstm_state_clip_min is not None:
            dt = data.dtype.type
            clip = (dt(p.lstm_state_clip_min), dt(p.lstm_state_clip_max),
                    p.lstm_state_clip_nan)
        return layout, lengths, idx, mask, clip

    def _forward(self, p, inputs, train, rng, out=None):
        data, params, h0 = inputs[0], inputs[1], inputs[2]
        c0 = inputs[3] if p.mode == 'lstm' else None
        layout, lengths, idx, mask, clip = self._setup(p, inputs)
        T, N, _ = data.shape
        dt = data.dtype
        dirs = 2 if p.bidirectional else 1
        G, H = _GATES[p.mode], p.state_size
        hout = p.projection_size or H
        x = data
        layers = []
        hy = np.empty(h0.shape, dt)
        cy = np.empty(c0.shape, dt) if c0 is not None else None
        for layer in range(p.num_layers):
            n_in = x.shape[2]
            last = layer == p.num_layers - 1
            y = out if last and out is not None else np.empty((T, N, dirs * hout), dt)
            runs = []
            for d in range(dirs):
                w = _unpack(params, layout, (layer, d))
                xin = x if d == 0 else _time_gather(x, idx)
                proj = np.dot(xin.reshape(T * N, n_in), w['i2h_weight'].T).reshape(T, N, G * H)
                proj += w['i2h_bias']
                if p.mode != 'gru':   # GRU adds its h2h bias inside the recurrence
                    proj += w['h2h_bias']
                k = layer * dirs + d
                S, cache = _run_forward(p.mode, proj, w, h0[k], None if c0 is None else c0[k],
                                        mask, clip)
                seq_out = S[1:] if mask is None else S[1:] * mask
                y[:, :, d * hout:(d + 1) * hout] = seq_out if d == 0 else \
                    _time_gather(seq_out, idx)
                hy[k] = S[T]
                if cy is not None:
                    cy[k] = cache['C'][T]
                runs.append((xin, cache))
            drop = None
            if train and p.p > 0 and not last:
                keep = rng.random(y.shape, dtype=np.float64 if dt == np.float64
                                  else np.float32) >= p.p
                drop = keep.astype(dt) * dt.type(1.0 / (1.0 - p.p))
            layers.append({'runs': runs, 'drop': drop})
            x = y * drop if drop is not None else y
        return x, hy, cy, {'layers': layers, 'idx': idx, 'mask': mask, 'layout': layout}

    def forward(self, p, inputs, outputs, ctx):
        rng = ctx.rng if ctx.is_train and p.p > 0 and p.num_layers > 1 else None
        out = outputs[0] if outputs[0].flags.c_contiguous and type(outputs[0]) is np.ndarray \
            else None
        y, hy, cy, cache = self._forward(p, inputs, ctx.is_train, rng, out)
        if y is not outputs[0]:
            outputs[0][...] = y
        if p.state_outputs:
            outputs[1][...] = hy
            if p.mode == 'lstm':
                outputs[2][...] = cy
        # activations for BPTT; only a training pass keeps them
        ctx.state['cache'] = cache if ctx.is_train else None

    def backward(self, p, ograds, inputs, outputs, ctx):
        cache = ctx.state.get('cache')
        if cache is None:   # forward ran for inference: redo it (no dropout) to get activations
            cache = self._forward(p, inputs, False, None)[3]
        data, params = inputs[0], inputs[1]
        T, N, _ = data.shape
        dt = data.dtype
        dirs = 2 if p.bidirectional else 1
        H = p.state_size
        hout = p.projection_size or H
        idx, mask, layout = cache['idx'], cache['mask'], cache['layout']
        dparams = np.zeros(params.shape, dt)
        dh0 = np.zeros(inputs[2].shape, dt)
        dc0 = np.zeros(inputs[3].shape, dt) if p.mode == 'lstm' else None
        dhy = ograds[1] if p.state_outputs else None
        dcy = ograds[2] if p.state_outputs and p.mode == 'lstm' else None
        dy_all = np.asarray(ograds[0], dtype=dt)
        for layer in range(p.num_layers - 1, -1, -1):
            info = cache['layers'][layer]
            if info['drop'] is not None:
                dy_all = dy_all * info['drop']
            dx = None
            for d in range(dirs):
                k = layer * dirs + d
                w = _unpack(params, layout, (layer, d))
                g = _unpack(dparams, layout, (layer, d))   # views: writes land in dparams
                xin, run = info['runs'][d]
                dy = dy_all[:, :, d * hout:(d + 1) * hout]
                dy = np.ascontiguousarray(dy) if d == 0 else _time_gather(dy, idx)
                if mask is not None:
                    dy = dy * mask
                zeros_h = np.zeros((N, hout), dt)
                dhT = dhy[k] if dhy is not None else zeros_h
                dcT = dcy[k] if dcy is not None else (np.zeros((N, H), dt)
                                                      if p.mode == 'lstm' else None)
                dxp, dh, dc = _run_backward(p.mode, dy, dhT, dcT, w, run, mask, g)
                dh0[k] = dh
                if dc0 is not None:
                    dc0[k] = dc
                n_in = xin.shape[2]
                dxp2 = dxp.reshape(T * N, -1)
                g['i2h_weight'] += np.dot(dxp2.T, xin.reshape(T * N, n_in))
                g['i2h_bias'] += dxp2.sum(axis=0)
                dxin = np.dot(dxp2, w['i2h_weight']).reshape(T, N, n_in)
                if d == 1:
                    dxin = _time_gather(dxin, idx)
                dx = dxin if dx is None else dx + dxin
            dy_all = dx
        grads = [dy_all, dparams, dh0]
        if p.mode == 'lstm':
            grads.append(dc0)
        if p.use_sequence_length:
            grads.append(None)
        return grads

