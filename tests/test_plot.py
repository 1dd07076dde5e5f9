"""mx.viz.plot_network (graphviz, as MXNet 1.9.1), plot_network_text and plot_network_html."""
import re
import shutil
import sys
import xml.etree.ElementTree as ET

import pytest

import mxlite as mx
from mxlite import viz_plot

HAS_DOT = shutil.which('dot') is not None


def lenet():
    data = mx.sym.var('data')
    net = mx.sym.Convolution(data, kernel=(5, 5), num_filter=20, name='conv1')
    net = mx.sym.Activation(net, act_type='tanh', name='tanh1')
    net = mx.sym.Pooling(net, pool_type='max', kernel=(2, 2), stride=(2, 2), name='pool1')
    net = mx.sym.Convolution(net, kernel=(5, 5), num_filter=50, name='conv2')
    net = mx.sym.Activation(net, act_type='tanh', name='tanh2')
    net = mx.sym.Pooling(net, pool_type='max', kernel=(2, 2), stride=(2, 2), name='pool2')
    net = mx.sym.Flatten(net, name='flatten')
    net = mx.sym.FullyConnected(net, num_hidden=500, name='fc1')
    net = mx.sym.Activation(net, act_type='tanh', name='tanh3')
    net = mx.sym.FullyConnected(net, num_hidden=10, name='fc2')
    return mx.sym.SoftmaxOutput(net, name='softmax')


def resblock():
    """A pre-activation ResNet block with a projection shortcut, then a classifier."""
    data = mx.sym.var('data')
    bn1 = mx.sym.BatchNorm(data, fix_gamma=False, name='bn1')
    act1 = mx.sym.Activation(bn1, act_type='relu', name='relu1')
    conv1 = mx.sym.Convolution(act1, kernel=(3, 3), stride=(2, 2), pad=(1, 1), num_filter=16,
                               no_bias=True, name='conv1')
    bn2 = mx.sym.BatchNorm(conv1, fix_gamma=False, name='bn2')
    act2 = mx.sym.Activation(bn2, act_type='relu', name='relu2')
    conv2 = mx.sym.Convolution(act2, kernel=(3, 3), stride=(1, 1), pad=(1, 1), num_filter=16,
                               no_bias=True, name='conv2')
    short = mx.sym.Convolution(act1, kernel=(1, 1), stride=(2, 2), num_filter=16,
                               no_bias=True, name='sc')
    out = mx.sym.elemwise_add(conv2, short, name='add')
    pool = mx.sym.Pooling(out, global_pool=True, pool_type='avg', kernel=(1, 1), name='pool')
    fc = mx.sym.FullyConnected(mx.sym.Flatten(pool, name='flat'), num_hidden=10, name='fc')
    return mx.sym.SoftmaxOutput(fc, name='softmax')


LENET_TEXT = """\
o    data           input                  1x28x28
o    conv1          Convolution 5x5/1, 20  20x24x24
o    tanh1          Activation tanh        20x24x24
o    pool1          Pooling max, 2x2/2x2   20x12x12
o    conv2          Convolution 5x5/1, 50  50x8x8
o    tanh2          Activation tanh        50x8x8
o    pool2          Pooling max, 2x2/2x2   50x4x4
o    flatten        Flatten                800
o    fc1            FullyConnected 500     500
o    tanh3          Activation tanh        500
o    fc2            FullyConnected 10      10
| o  softmax_label  input
+-+
o    softmax        SoftmaxOutput          10"""

RESBLOCK_TEXT = """\
resblock
o    data           input                    8x16x16
o    bn1            BatchNorm                8x16x16
o    relu1          Activation relu          8x16x16
+-+
| o  conv1          Convolution 3x3/2x2, 16  16x8x8
| o  bn2            BatchNorm                16x8x8
| o  relu2          Activation relu          16x8x8
| o  conv2          Convolution 3x3/1x1, 16  16x8x8
o |  sc             Convolution 1x1/2x2, 16  16x8x8
+-+
o    add            elemwise_add             16x8x8
o    pool           Pooling avg, 1x1/1       16x1x1
o    flat           Flatten                  16
o    fc             FullyConnected 10        10
| o  softmax_label  input
+-+
o    softmax        SoftmaxOutput            10"""


# ---------------------------------------------------------------------- shared description
@pytest.mark.parametrize('make, attrs, label, color', [
    (lambda d: mx.sym.Convolution(d, kernel=(5, 5), stride=(1, 1), num_filter=20, name='n'),
     None, 'Convolution\n5x5/1x1, 20', '#fb8072'),
    (lambda d: mx.sym.Convolution(d, kernel=(3, 3), num_filter=8, name='n'),
     None, 'Convolution\n3x3/1, 8', '#fb8072'),
    (lambda d: mx.sym.FullyConnected(d, num_hidden=7, name='n'), None,
     'FullyConnected\n7', '#fb8072'),
    (lambda d: mx.sym.Activation(d, act_type='sigmoid', name='n'), None,
     'Activation\nsigmoid', '#ffffb3'),
    (lambda d: mx.sym.LeakyReLU(d, act_type='elu', name='n'), None, 'LeakyReLU\nelu',
     '#ffffb3'),
    (lambda d: mx.sym.Pooling(d, kernel=(3, 3), stride=(2, 2), pool_type='avg', name='n'),
     None, 'Pooling\navg, 3x3/2x2', '#80b1d3'),
    (lambda d: mx.sym.Pooling(d, global_pool=True, pool_type='max', name='n'), None,
     'Pooling\nmax, []/1', '#80b1d3'),
    (lambda d: mx.sym.BatchNorm(d, name='n'), None, 'n', '#bebada'),
    (lambda d: mx.sym.Flatten(d, name='n'), None, 'n', '#fdb462'),
    (lambda d: mx.sym.Concat(d, d, name='n'), None, 'n', '#fdb462'),
    (lambda d: mx.sym.Reshape(d, shape=(-1,), name='n'), None, 'n', '#fdb462'),
    (lambda d: mx.sym.exp(d, name='n'), None, 'n', '#fccde5'),
])
def test_labels_and_colours_follow_mxnet(make, attrs, label, color):
    nodes, _ = viz_plot._describe(make(mx.sym.var('data')))
    n = [x for x in nodes if x['name'] == 'n'][0]
    assert (n['label'], n['fill']) == (label, color)
    data = [x for x in nodes if x['name'] == 'data'][0]
    assert (data['kind'], data['fill']) == ('input', '#8dd3c7')


def test_weights_hidden_by_default_and_edges_carry_shapes_and_types():
    nodes, edges = viz_plot._describe(resblock(), shape={'data': (2, 8, 16, 16)},
                                      dtype={'data': 'float32'})
    names = [n['name'] for n in nodes]
    assert not any(n.endswith(('_weight', '_bias', '_gamma', '_beta', '_moving_mean',
                               '_moving_var')) for n in names)
    by_index = {n['index']: n['name'] for n in nodes}
    labelled = {(by_index[s], by_index[d]): lab for s, d, lab in edges}
    assert labelled[('data', 'bn1')] == '8x16x16(float32)'
    assert labelled[('relu1', 'sc')] == '8x16x16(float32)'
    assert labelled[('sc', 'add')] == '16x8x8(float32)'
    assert labelled[('softmax_label', 'softmax')] == '(float32)'   # batch axis dropped
    nodes, edges = viz_plot._describe(resblock(), hide_weights=False)
    weights = [n for n in nodes if n['kind'] == 'weight']
    assert {'conv1_weight', 'bn1_moving_var', 'fc_bias'} <= {w['name'] for w in weights}


def test_multi_output_edges_use_their_own_output_shape():
    data = mx.sym.var('data')
    parts = mx.sym.split(data, num_outputs=2, axis=1, name='sp')
    net = mx.sym.Concat(parts[0], mx.sym.FullyConnected(parts[1], num_hidden=3, name='fc'),
                        dim=1, name='cat')
    _, edges = viz_plot._describe(net, shape={'data': (4, 6)})
    assert sorted(lab for _, _, lab in edges) == ['3', '3', '3', '6']


def test_errors():
    with pytest.raises(TypeError, match='Symbol'):
        mx.viz.plot_network_text('not a symbol')
    with pytest.raises(ValueError, match='incomplete'):
        mx.viz.plot_network_html(lenet(), shape={'softmax_label': (1,)})
    a = mx.sym.var('x')
    dup = mx.sym.elemwise_add(a, mx.sym.var('x'), name='add')
    with pytest.warns(RuntimeWarning, match='Repeated names: x'):
        mx.viz.plot_network_text(dup)


# ---------------------------------------------------------------------- text
def test_text_lenet():
    assert mx.viz.plot_network_text(lenet(), shape={'data': (1, 1, 28, 28)}) == LENET_TEXT


def test_text_resblock_shows_the_branch_and_the_join():
    text = mx.viz.plot_network_text(resblock(), shape={'data': (1, 8, 16, 16)},
                                    title='resblock')
    assert text == RESBLOCK_TEXT


def test_text_without_shapes_and_with_weights():
    text = mx.viz.plot_network_text(resblock(), hide_weights=False)
    lines = text.splitlines()
    assert any(re.match(r'^[|o +-]*o +conv1_weight +param$', ln) for ln in lines)
    # the five inputs of bn1 join in one row
    assert '+-+-+-+-+' in text
    assert all(not ln.rstrip().endswith('x') for ln in lines)


def test_text_of_a_wide_graph_stays_consistent():
    data = mx.sym.var('data')
    branches = [mx.sym.Convolution(data, kernel=(1, 1), num_filter=4, name='b%d' % i)
                for i in range(4)]
    branches[1] = mx.sym.Convolution(branches[1], kernel=(3, 3), pad=(1, 1), num_filter=4,
                                     name='b1b')
    net = mx.sym.Concat(*branches, name='cat')
    assert mx.viz.plot_network_text(net) == """\
o        data  input
+-+
| o      b0    Convolution 1x1/1, 4
+-|-+
| | o    b1    Convolution 1x1/1, 4
| | o    b1b   Convolution 3x3/1, 4
+-|-|-+
| | | o  b2    Convolution 1x1/1, 4
o | | |  b3    Convolution 1x1/1, 4
+-+-+-+
o        cat   Concat"""


# ---------------------------------------------------------------------- HTML
def _svg_of(page):
    start, end = page.index('<svg'), page.index('</svg>') + len('</svg>')
    return ET.fromstring(page[start:end])


@pytest.mark.parametrize('net, shape, n_nodes, n_edges', [
    (lenet, {'data': (1, 1, 28, 28)}, 13, 12),
    (resblock, {'data': (1, 8, 16, 16)}, 14, 14),
])
def test_html_is_a_self_contained_page_with_an_svg(net, shape, n_nodes, n_edges):
    page = mx.viz.plot_network_html(net(), title='net <1>', shape=shape)
    assert page.startswith('<!DOCTYPE html>') and page.rstrip().endswith('</html>')
    assert '<title>net &lt;1&gt;</title>' in page
    assert '<script' not in page and 'src=' not in page and 'href=' not in page
    svg = _svg_of(page)
    ns = '{http://www.w3.org/2000/svg}'
    groups = [g for g in svg.iter(ns + 'g') if 'node' in g.get('class', '').split()]
    assert len(groups) == n_nodes
    paths = [p for p in svg.iter(ns + 'path') if p.get('class') == 'edge']
    assert len(paths) == n_edges
    texts = [t.text for t in svg.iter(ns + 'text')]
    assert 'Convolution' in texts and texts.count('data') == 1
    labels = [t.text for t in svg.iter(ns + 'text') if t.get('class') == 'edge-label']
    assert len(labels) == n_edges - 1       # softmax_label's shape without batch is empty


def test_html_layout_puts_inputs_below_their_consumers():
    page = mx.viz.plot_network_html(resblock())
    svg = _svg_of(page)
    ns = '{http://www.w3.org/2000/svg}'
    centre = {}
    for g in svg.iter(ns + 'g'):
        if 'node' not in g.get('class', ''):
            continue
        name = g.find(ns + 'title').text.split()[0]
        shape = g.find(ns + 'rect')
        if shape is not None:
            y = float(shape.get('y')) + float(shape.get('height')) / 2
            x = float(shape.get('x')) + float(shape.get('width')) / 2
            w = float(shape.get('width'))
        else:
            shape = g.find(ns + 'ellipse')
            x, y, w = float(shape.get('cx')), float(shape.get('cy')), 2 * float(shape.get('rx'))
        centre[name] = (x, y, w)
    assert centre['data'][1] > centre['bn1'][1] > centre['relu1'][1] > centre['add'][1]
    assert centre['add'][1] > centre['softmax'][1]
    # nodes of one row do not overlap
    rows = {}
    for name, (x, y, w) in centre.items():
        rows.setdefault(round(y), []).append((x - w / 2, x + w / 2))
    for boxes in rows.values():
        boxes.sort()
        assert all(a[1] <= b[0] for a, b in zip(boxes, boxes[1:]))


def test_html_shows_weights_when_asked():
    page = mx.viz.plot_network_html(resblock(), hide_weights=False)
    assert 'conv1_weight' in page and 'class="node weight"' in page


# ---------------------------------------------------------------------- graphviz
def test_plot_network_without_graphviz_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, 'graphviz', None)
    with pytest.raises(ImportError, match='pip install graphviz') as info:
        mx.viz.plot_network(lenet())
    assert 'plot_network_text' in str(info.value)


def test_plot_network_builds_mxnet_digraph():
    pytest.importorskip('graphviz', reason='the optional graphviz package is not installed')
    dot = mx.viz.plot_network(lenet(), title='lenet', save_format='svg',
                              shape={'data': (1, 1, 28, 28)})
    assert type(dot).__name__ == 'Digraph' and dot.name == 'lenet' and dot.format == 'svg'
    src = dot.source
    assert ('conv1 [label="Convolution\n5x5/1, 20" fillcolor="#fb8072" fixedsize=true '
            'height=0.8034 shape=box style=filled width=1.3]') in src
    assert ('data [label=data fillcolor="#8dd3c7" fixedsize=true height=0.8034 shape=oval '
            'style=filled width=1.3]') in src
    assert 'conv1 -> data [label="1x28x28" arrowtail=open dir=back]' in src
    assert 'softmax -> fc2 [label=10 arrowtail=open dir=back]' in src
    assert 'conv1_weight' not in src
    shown = mx.viz.plot_network(lenet(), hide_weights=False,
                                node_attrs={'fixedsize': 'false'}).source
    assert 'conv1 -> conv1_weight' in shown and '\tconv1_weight [' not in shown
    assert 'fixedsize=false' in shown


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's 'dot' program is not installed")
@pytest.mark.parametrize('net, shape', [(lenet, {'data': (1, 1, 28, 28)}),
                                        (resblock, {'data': (1, 8, 16, 16)})])
def test_plot_network_renders_svg(net, shape, tmp_path):
    pytest.importorskip('graphviz', reason='the optional graphviz package is not installed')
    dot = mx.viz.plot_network(net(), title='net', save_format='svg', shape=shape)
    out = dot.render(str(tmp_path / 'net'), cleanup=True)
    svg = open(out, encoding='utf-8').read()
    assert out.endswith('.svg') and '<svg' in svg and 'Convolution' in svg
    root = ET.fromstring(svg[svg.index('<svg'):])
    assert root.tag.endswith('svg')
