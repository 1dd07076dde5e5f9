"""Network drawings: `plot_network` (a graphviz Digraph, as MXNet), plus two renderings that
need no external program: `plot_network_text` (lanes of text, like ``git log --graph``)
and `plot_network_html` (a self-contained page with an SVG drawn here).

All three read the same description of the graph (`_describe`): one entry per drawn node
with MXNet's label and colour, and one per edge with the shape/dtype label MXNet puts on
it. As in MXNet, weights, biases and BatchNorm statistics are hidden by default, and
edges point from an operator's input to the operator.
"""
import copy
import html
import json
import re
import warnings

__all__ = ['plot_network', 'plot_network_text', 'plot_network_html']

# MXNet's palette: inputs, conv/fc, activations, batchnorm, pooling, reshaping, softmax, other
_COLORS = ('#8dd3c7', '#fb8072', '#ffffb3', '#bebada', '#80b1d3',
           '#fdb462', '#b3de69', '#fccde5')
_WEIGHT_SUFFIXES = ('_weight', '_bias', '_beta', '_gamma',
                    '_moving_var', '_moving_mean', '_running_var', '_running_mean')


def _numbers(text):
    return re.findall(r'\d+', text)


def _looks_like_weight(name):
    return name.endswith(_WEIGHT_SUFFIXES)


def _label_and_color(op, name, attrs):
    """MXNet's node label and fill colour for an operator node."""
    if op == 'Convolution':
        stride = 'x'.join(_numbers(attrs['stride'])) if 'stride' in attrs else '1'
        return ('Convolution\n%s/%s, %s' % ('x'.join(_numbers(attrs['kernel'])), stride,
                                            attrs['num_filter']), _COLORS[1])
    if op == 'FullyConnected':
        return 'FullyConnected\n%s' % attrs['num_hidden'], _COLORS[1]
    if op == 'BatchNorm':
        return name, _COLORS[3]
    if op == 'Activation':
        return 'Activation\n%s' % attrs['act_type'], _COLORS[2]
    if op == 'LeakyReLU':
        return 'LeakyReLU\n%s' % attrs.get('act_type', 'leaky'), _COLORS[2]
    if op == 'Pooling':
        kernel = 'x'.join(_numbers(attrs['kernel'])) if 'kernel' in attrs else '[]'
        stride = 'x'.join(_numbers(attrs['stride'])) if 'stride' in attrs else '1'
        return 'Pooling\n%s, %s/%s' % (attrs['pool_type'], kernel, stride), _COLORS[4]
    if op in ('Concat', 'Flatten', 'Reshape'):
        return name, _COLORS[5]
    if op == 'Softmax':
        return name, _COLORS[6]
    if op == 'Custom' and 'op_type' in attrs:
        return attrs['op_type'], _COLORS[7]
    return name, _COLORS[7]


def _shape_text(shape):
    # MXNet's edge labels leave out the batch axis
    return 'x'.join(str(d) for d in shape[1:])


def _describe(symbol, shape=None, dtype=None, hide_weights=True, what='plot_network'):
    """The drawing's content, shared by all renderings.

    Returns (nodes, edges): nodes is a list (JSON order) of dicts with keys index, name,
    op, label, fill, kind ('input', 'op', or 'weight' for a weight drawn as a plain
    node) and out (the label of its first output, '' without shapes); edges is a list of
    (from index, to index, label). Hidden weights are in neither.
    """
    from .graph.ir import Graph
    from .symbol import Symbol
    if not isinstance(symbol, Symbol):
        raise TypeError('%s: symbol must be a Symbol, got %s' % (what, type(symbol).__name__))
    internals = symbol.get_internals()
    shape_dict = type_dict = None
    if shape is not None:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            _, out_shapes, _ = internals.infer_shape(**shape)
        if out_shapes is None:
            raise ValueError('%s: input shape is incomplete: the shapes %s do not decide '
                             'every shape in the graph' % (what, shape))
        shape_dict = dict(zip(internals.list_outputs(), out_shapes))
    if dtype is not None:
        _, out_types, _ = internals.infer_type(**dtype)
        if out_types is None:
            raise ValueError('%s: input type is incomplete: the dtypes %s do not decide '
                             'every type' % (what, dtype))
        type_dict = dict(zip(internals.list_outputs(), out_types))
    conf = json.loads(symbol.tojson())
    jnodes = conf['nodes']
    names = [n['name'] for n in jnodes]
    if len(names) != len(set(names)):
        seen = set()
        repeated = sorted({n for n in names if n in seen or seen.add(n)})
        warnings.warn('There are multiple variables with the same name in your graph, this '
                      'may result in cyclic graph. Repeated names: ' + ','.join(repeated),
                      RuntimeWarning, stacklevel=3)
    ir_nodes = Graph(symbol._entries).nodes
    same_order = [n.name for n in ir_nodes] == names

    def entry_label(i, k):
        node = jnodes[i]
        if node['op'] == 'null':
            key = node['name']
        elif same_order:
            key = ir_nodes[i].output_names()[k]
        else:
            key = node['name'] + '_output'
        text = ''
        if shape_dict is not None and key in shape_dict:
            text = _shape_text(shape_dict[key])
        if type_dict is not None and key in type_dict:
            text += '(%s)' % type_dict[key].__name__
        return text

    nodes, hidden = [], set()
    for i, node in enumerate(jnodes):
        op, name = node['op'], node['name']
        if op == 'null':
            if _looks_like_weight(name):
                if hide_weights:
                    hidden.add(i)
                continue
            label, fill, kind = name, _COLORS[0], 'input'
        else:
            label, fill = _label_and_color(op, name, node.get('attrs', {}))
            kind = 'op'
        nodes.append({'index': i, 'name': name, 'op': op, 'label': label, 'fill': fill,
                      'kind': kind, 'attrs': node.get('attrs', {}),
                      'out': entry_label(i, 0) if (shape_dict or type_dict) else ''})
    edges = []
    weights_drawn = set()
    for i, node in enumerate(jnodes):
        if node['op'] == 'null':
            continue
        inputs = node['inputs']
        if node['op'] == '_contrib_BilinearResize2D':
            inputs = inputs[:1]      # MXNet draws only its data input
        for item in inputs:
            src = item[0]
            if src in hidden:
                continue
            if jnodes[src]['op'] == 'null' and _looks_like_weight(jnodes[src]['name']):
                weights_drawn.add(src)
            label = entry_label(src, item[1]) if (shape_dict or type_dict) else ''
            edges.append((src, i, label))
    # weights shown with hide_weights=False: graphviz draws them as plain ovals
    for src in sorted(weights_drawn):
        nodes.append({'index': src, 'name': jnodes[src]['name'], 'op': 'null',
                      'label': jnodes[src]['name'], 'fill': None, 'kind': 'weight',
                      'attrs': {}, 'out': entry_label(src, 0) if shape_dict else ''})
    nodes.sort(key=lambda n: n['index'])
    return nodes, edges


# ---------------------------------------------------------------------- graphviz
def plot_network(symbol, title='plot', save_format='pdf', shape=None, dtype=None,
                 node_attrs={}, hide_weights=True):  # noqa: B006 (MXNet's signature)
    """A graphviz drawing of the network, as MXNet 1.9.1's `mx.viz.plot_network`.

    Needs the optional ``graphviz`` Python package (``pip install graphviz``);
    rendering the result (``.render()``, ``.pipe()``) also needs Graphviz's ``dot``
    program. `plot_network_text` and `plot_network_html` need neither.

    Parameters
    ----------
    symbol : Symbol
    title : str
        Name of the graph (and of the file `render` writes).
    save_format : str
        Output format for `render`: 'pdf', 'svg', 'png', ...
    shape : dict of str to tuple, optional
        Input shapes; each edge is then labelled with the shape it carries (without the
        batch axis).
    dtype : dict of str to dtype, optional
        Input dtypes; edges are then also labelled with their dtype.
    node_attrs : dict
        Graphviz node attributes that replace the defaults (box 1.3 x 0.8034 inch,
        filled), e.g. ``{'fixedsize': 'false'}``.
    hide_weights : bool
        Leave out weight, bias, gamma/beta and moving statistics variables.

    Returns
    -------
    graphviz.Digraph

    Examples
    --------
    >>> import mxlite as mx
    >>> net = mx.sym.Convolution(mx.sym.var('data'), kernel=(5, 5), num_filter=20,
    ...                          name='conv')
    >>> dot = mx.viz.plot_network(net, shape={'data': (1, 1, 28, 28)})  # doctest: +SKIP
    >>> dot.render('lenet', format='svg')                              # doctest: +SKIP
    """
    try:
        from graphviz import Digraph
    except ImportError:
        raise ImportError(
            "mx.viz.plot_network needs the optional 'graphviz' Python package: "
            "pip install graphviz (to render files you also need Graphviz's 'dot' "
            "program, e.g. apt-get install graphviz). mx.viz.plot_network_text and "
            "mx.viz.plot_network_html draw the network without it.") from None
    nodes, edges = _describe(symbol, shape, dtype, hide_weights)
    node_attr = {'shape': 'box', 'fixedsize': 'true', 'width': '1.3', 'height': '0.8034',
                 'style': 'filled'}
    node_attr.update(node_attrs)
    dot = Digraph(name=title, format=save_format)
    names = {}
    for n in nodes:
        names[n['index']] = n['name']
        if n['kind'] == 'weight':
            continue         # not declared: graphviz gives it its default look, as MXNet
        attr = copy.deepcopy(node_attr)
        if n['kind'] == 'input':
            attr['shape'] = 'oval'
        attr['fillcolor'] = n['fill']
        dot.node(name=n['name'], label=n['label'], **attr)
    for src, dst, label in edges:
        dot.edge(tail_name=names[dst], head_name=names[src], dir='back', arrowtail='open',
                 label=label)
    return dot


# ---------------------------------------------------------------------- text
def _text_label(n):
    # the name has a column of its own: where MXNet's label is just the name, say the op
    if n['kind'] == 'weight':
        return 'param'
    if n['label'] == n['name']:
        return 'input' if n['op'] == 'null' else n['op']
    return n['label'].replace('\n', ' ')


def plot_network_text(symbol, shape=None, dtype=None, hide_weights=True, title=None):
    """The network as plain text: one line per node, inputs first, with lanes.

    Each line shows a node (``o``) with its name, MXNet's plot label and, given input
    shapes, its output shape (without the batch axis). Lanes (``|``) carry values to
    later nodes; ``+--+`` rows show where a value branches off or where inputs join.

    Parameters
    ----------
    symbol : Symbol
    shape : dict of str to tuple, optional
        Input shapes, to show each node's output shape.
    dtype : dict of str to dtype, optional
        Input dtypes, to show each node's output dtype.
    hide_weights : bool
        Leave out weight, bias, gamma/beta and moving statistics variables.
    title : str, optional
        A first line.

    Returns
    -------
    str

    Examples
    --------
    >>> import mxlite as mx
    >>> data = mx.sym.var('data')
    >>> conv = mx.sym.Convolution(data, kernel=(3, 3), pad=(1, 1), num_filter=4, name='c')
    >>> out = mx.sym.elemwise_add(mx.sym.relu(conv, name='r'), data, name='add')
    >>> print(mx.viz.plot_network_text(out, shape={'data': (1, 4, 8, 8)}))
    o    data  input                 4x8x8
    +-+
    | o  c     Convolution 3x3/1, 4  4x8x8
    | o  r     relu                  4x8x8
    +-+
    o    add   elemwise_add          4x8x8
    """
    nodes, edges = _describe(symbol, shape, dtype, hide_weights, 'plot_network_text')
    ins = {n['index']: [] for n in nodes}
    left = {n['index']: 0 for n in nodes}   # edges from a node not yet drawn
    for src, dst, _ in edges:
        ins[dst].append(src)
        left[src] += 1
    lanes = []
    rows = []                                # (lane text, node or None)
    for n in nodes:
        v = n['index']
        in_lanes = sorted({lanes.index(s) for s in ins[v]})
        for s in ins[v]:
            left[s] -= 1
        freed = [k for k in in_lanes if left[lanes[k]] == 0]
        if freed:
            out_lane = freed[0]
        elif None in lanes:
            out_lane = lanes.index(None)
        else:
            out_lane = len(lanes)
            lanes.append(None)
        if in_lanes != [out_lane] and in_lanes:
            joints = set(in_lanes) | {out_lane}
            lo, hi = min(joints), max(joints)
            cells = []
            for k in range(len(lanes)):
                if k in joints:
                    c = '+'
                elif lanes[k] is not None:
                    c = '|'
                else:
                    c = '-' if lo < k < hi else ' '
                cells.append(c + ('-' if lo <= k < hi else ' '))
            rows.append((''.join(cells), None))
        for k in freed:
            lanes[k] = None
        lanes[out_lane] = v if left[v] > 0 else None
        cells = ['o ' if k == out_lane else ('| ' if lanes[k] is not None else '  ')
                 for k in range(len(lanes))]
        rows.append((''.join(cells), n))
        while lanes and lanes[-1] is None:
            lanes.pop()
    width = max(len(r[0].rstrip()) for r in rows) + 2 if rows else 0
    name_w = max((len(n['name']) for n in nodes), default=0)
    labels = {n['index']: _text_label(n) for n in nodes}
    label_w = max(labels.values(), key=len, default='')
    lines = [title] if title else []
    for lane_text, n in rows:
        if n is None:
            lines.append(lane_text.rstrip())
            continue
        text = '%s%s  %s' % (lane_text.ljust(width), n['name'].ljust(name_w),
                             labels[n['index']].ljust(len(label_w)))
        if n['out']:
            text += '  ' + n['out']
        lines.append(text.rstrip())
    return '\n'.join(lines)


# ---------------------------------------------------------------------- HTML / SVG
_FONT = 12
_CHAR_W = 7.2          # average glyph width at 12px sans-serif
_LAYER_GAP = 64
_NODE_GAP = 28


def _layers(nodes, edges):
    """Rank of each node: inputs at 0, an op one above its highest input; a node with no
    inputs sits just below its first consumer (a label next to its loss)."""
    preds = {n['index']: [] for n in nodes}
    succs = {n['index']: [] for n in nodes}
    for src, dst, _ in edges:
        preds[dst].append(src)
        succs[src].append(dst)
    rank = {}
    for n in nodes:                          # JSON order is topological
        v = n['index']
        rank[v] = 1 + max(rank[p] for p in preds[v]) if preds[v] else 0
    for n in reversed(nodes):
        v = n['index']
        if not preds[v] and succs[v]:
            rank[v] = max(0, min(rank[s] for s in succs[v]) - 1)
    return rank


def _crossings(order, below_pos, links):
    """Edge crossings between one layer (in `order`) and the one below."""
    pairs = []
    for i, v in enumerate(order):
        for u in links.get(v, ()):
            pairs.append((i, below_pos[u]))
    count = 0
    for a in range(len(pairs)):
        for b in range(a + 1, len(pairs)):
            if (pairs[a][0] - pairs[b][0]) * (pairs[a][1] - pairs[b][1]) < 0:
                count += 1
    return count


def _layout(nodes, edges):
    """Layered (Sugiyama-style) layout: ranks, dummy nodes on long edges, barycentre
    ordering, then x positions pulled towards neighbours. Returns node boxes and edge
    point lists in a coordinate system with rank 0 at the bottom."""
    rank = _layers(nodes, edges)
    size = {}
    for n in nodes:
        lines = n['label'].split('\n')
        w = max(94.0, max(len(s) for s in lines) * _CHAR_W + 20)
        h = max(44.0, 16.0 * len(lines) + 18)
        size[n['index']] = (w, h)
    layers = {}
    for n in nodes:
        layers.setdefault(rank[n['index']], []).append(n['index'])
    chains = []                              # per edge: the vertices it passes through
    down = {}                                # vertex -> vertices one rank below
    up = {}
    dummy = 0
    for src, dst, _ in edges:
        chain = [src]
        for r in range(rank[src] + 1, rank[dst]):
            d = ('dummy', dummy)
            dummy += 1
            rank[d] = r
            size[d] = (0.0, 0.0)
            layers[r].append(d)
            chain.append(d)
        chain.append(dst)
        for a, b in zip(chain, chain[1:]):
            down.setdefault(b, []).append(a)
            up.setdefault(a, []).append(b)
        chains.append(chain)
    top = max(layers) if layers else 0
    order = [layers.get(r, []) for r in range(top + 1)]

    def total_crossings():
        return sum(_crossings(order[r], {v: i for i, v in enumerate(order[r - 1])}, down)
                   for r in range(1, top + 1))
    best = [list(o) for o in order]
    best_count = total_crossings()
    for sweep in range(8):
        rows = range(1, top + 1) if sweep % 2 == 0 else range(top - 1, -1, -1)
        for r in rows:
            ref = order[r - 1] if sweep % 2 == 0 else order[r + 1]
            links = down if sweep % 2 == 0 else up
            pos = {v: i for i, v in enumerate(ref)}

            def bary(item):
                i, v = item
                nb = [pos[u] for u in links.get(v, ()) if u in pos]
                return (sum(nb) / len(nb)) if nb else i
            order[r] = [v for _, v in sorted(enumerate(order[r]), key=bary)]
        count = total_crossings()
        if count < best_count:
            best, best_count = [list(o) for o in order], count
    order = best
    # x: pack, then pull each vertex towards the mean of its neighbours, keeping gaps
    x = {}
    for row in order:
        cursor = 0.0
        for v in row:
            w = size[v][0]
            x[v] = cursor + w / 2
            cursor += w + _NODE_GAP
    for it in range(24):
        rows = order if it % 2 == 0 else order[::-1]
        for row in rows:
            want = []
            for v in row:
                nb = down.get(v, []) + up.get(v, [])
                want.append(sum(x[u] for u in nb) / len(nb) if nb else x[v])
            # the tightest placements from the left and from the right; their mean keeps
            # every gap and sits nodes near what their neighbours want
            sep = [(size[a][0] + size[b][0]) / 2 + _NODE_GAP for a, b in zip(row, row[1:])]
            from_left, from_right = list(want), list(want)
            for k in range(1, len(row)):
                from_left[k] = max(want[k], from_left[k - 1] + sep[k - 1])
            for k in range(len(row) - 2, -1, -1):
                from_right[k] = min(want[k], from_right[k + 1] - sep[k])
            for k, v in enumerate(row):
                x[v] = (from_left[k] + from_right[k]) / 2
    left = min((x[v] - size[v][0] / 2 for v in x), default=0.0)
    for v in x:
        x[v] -= left
    row_h = [max((size[v][1] for v in row), default=0.0) for row in order]
    y, acc = {}, 0.0
    for r in range(top, -1, -1):             # rank 0 at the bottom, as MXNet's plots
        for v in order[r]:
            y[v] = acc + row_h[r] / 2
        acc += row_h[r] + _LAYER_GAP
    return x, y, size, chains


def _svg(nodes, edges, title):
    x, y, size, chains = _layout(nodes, edges)
    margin = 16
    width = max((x[v] + size[v][0] / 2 for v in x), default=0) + 2 * margin
    height = max((y[v] + size[v][1] / 2 for v in y), default=0) + 2 * margin
    esc = html.escape
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" '
           'font-size="%d" role="img" aria-label="%s">'
           % (width, height, width, height, _FONT, esc(title)),
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
           'markerWidth="9" markerHeight="9" orient="auto-start-reverse">'
           '<path d="M0,0 L10,5 L0,10" fill="none" stroke="#333"/></marker></defs>',
           '<g transform="translate(%d,%d)">' % (margin, margin)]
    for (src, dst, label), chain in zip(edges, chains):
        pts = []
        for k, v in enumerate(chain):
            h = size[v][1] / 2
            if k == 0:
                pts.append((x[v], y[v] - h))          # leave the input from its top
            elif k == len(chain) - 1:
                pts.append((x[v], y[v] + h))          # enter the consumer at its bottom
            else:
                pts.append((x[v], y[v]))
        d = 'M%.1f,%.1f' % pts[0]
        for (x1, y1), (x2, y2) in zip(pts, pts[1:]):
            ym = (y1 + y2) / 2
            d += ' C%.1f,%.1f %.1f,%.1f %.1f,%.1f' % (x1, ym, x2, ym, x2, y2)
        out.append('<path class="edge" d="%s" fill="none" stroke="#333" '
                   'marker-end="url(#arrow)"/>' % d)
        if label:
            (x1, y1), (x2, y2) = pts[0], pts[1]
            out.append('<text class="edge-label" x="%.1f" y="%.1f" font-size="%d">%s</text>'
                       % ((x1 + x2) / 2 + 4, (y1 + y2) / 2 + 4, _FONT - 1, esc(label)))
    for n in nodes:
        v = n['index']
        w, h = size[v]
        cx, cy = x[v], y[v]
        tip = [n['name'] + (' (%s)' % n['op'] if n['op'] != 'null' else '')]
        tip += ['%s = %s' % (k, val) for k, val in sorted(n['attrs'].items())]
        if n['out']:
            tip.append('output: %s' % n['out'])
        out.append('<g class="node %s"><title>%s</title>' % (n['kind'], esc('\n'.join(tip))))
        fill = n['fill'] or 'none'
        if n['kind'] == 'op':
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" '
                       'stroke="#000"/>' % (cx - w / 2, cy - h / 2, w, h, fill))
        else:
            out.append('<ellipse cx="%.1f" cy="%.1f" rx="%.1f" ry="%.1f" fill="%s" '
                       'stroke="#000"/>' % (cx, cy, w / 2, h / 2, fill))
        lines = n['label'].split('\n')
        top = cy - (len(lines) - 1) * 8 + 4
        for k, line in enumerate(lines):
            out.append('<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>'
                       % (cx, top + 16 * k, esc(line)))
        out.append('</g>')
    out.append('</g></svg>')
    return '\n'.join(out)


def plot_network_html(symbol, title='plot', shape=None, dtype=None, hide_weights=True):
    """The network as a self-contained HTML page (an inline SVG; no program needed).

    Nodes carry MXNet's plot labels and colours, inputs at the bottom as in
    `plot_network`; hovering over a node shows its name, operator and attributes.

    Parameters
    ----------
    symbol : Symbol
    title : str
        Page title and heading.
    shape : dict of str to tuple, optional
        Input shapes; edges are then labelled with the shape they carry.
    dtype : dict of str to dtype, optional
        Input dtypes; edges are then also labelled with their dtype.
    hide_weights : bool
        Leave out weight, bias, gamma/beta and moving statistics variables.

    Returns
    -------
    str
        The HTML text; write it to a ``.html`` file and open it in a browser.

    Examples
    --------
    >>> import mxlite as mx
    >>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=10, name='fc')
    >>> page = mx.viz.plot_network_html(net, shape={'data': (1, 784)})
    >>> page.startswith('<!DOCTYPE html>') and '<svg' in page
    True
    """
    nodes, edges = _describe(symbol, shape, dtype, hide_weights, 'plot_network_html')
    svg = _svg(nodes, edges, title)
    esc = html.escape
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<title>%s</title>\n<style>\n'
            'body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; }\n'
            'h1 { font-size: 1.2em; }\n'
            '.node:hover rect, .node:hover ellipse { stroke-width: 2.5; }\n'
            '.edge-label { fill: #444; }\n'
            '</style>\n</head>\n<body>\n<h1>%s</h1>\n%s\n</body>\n</html>\n'
            % (esc(title), esc(title), svg))
