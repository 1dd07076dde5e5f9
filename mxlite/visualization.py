"""Network summaries: `print_summary` prints MXNet's layer table."""
import json

from .base import MXNetError

__all__ = ['print_summary']


def _str2tuple(text):
    return [int(x) for x in text.strip('()[] ').split(',') if x.strip()]


def print_summary(symbol, shape=None, line_length=120, positions=(.44, .64, .74, 1.)):
    """Print a table of layers: name(op), output shape, parameter count, previous layer.

    Examples
    --------
    >>> import mxlite as mx
    >>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=4, name='fc')
    >>> mx.viz.print_summary(net, shape={'data': (1, 8)})  # doctest: +ELLIPSIS
    ____...
    """
    from .symbol import Symbol
    if not isinstance(symbol, Symbol):
        raise TypeError('symbol must be a Symbol')
    show_shape = shape is not None
    shape_dict = {}
    if show_shape:
        internals = symbol.get_internals()
        _, out_shapes, _ = internals.infer_shape(**shape)
        if out_shapes is None:
            raise MXNetError('print_summary: input shapes %s do not decide every shape' % shape)
        shape_dict = dict(zip(internals.list_outputs(), out_shapes))
    conf = json.loads(symbol.tojson())
    nodes = conf['nodes']
    # MXNet's quirk, kept for identical tables: the set of the first head entry's numbers
    heads = set(conf['heads'][0])
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    def print_row(fields):
        line = ''
        for i, field in enumerate(fields):
            line += str(field)
            line = line[:positions[i]]
            line += ' ' * (positions[i] - len(line))
        print(line)

    def layer(node, out_shape):
        op = node['op']
        attrs = node.get('attrs', {})
        pre_node = []
        pre_filter = 0
        if op != 'null':
            for item in node['inputs']:
                input_node = nodes[item[0]]
                if input_node['op'] != 'null' or item[0] in heads:
                    pre_node.append(input_node['name'])
                    if show_shape:
                        key = input_node['name'] + ('_output' if input_node['op'] != 'null'
                                                    else '')
                        if key in shape_dict:
                            pre_filter += int(shape_dict[key][1:][0])
        cur_param = 0
        if op == 'Convolution':
            num_group = int(attrs.get('num_group', '1'))
            cur_param = pre_filter * int(attrs['num_filter']) // num_group
            for k in _str2tuple(attrs['kernel']):
                cur_param *= k
            if attrs.get('no_bias') != 'True':
                cur_param += int(attrs['num_filter'])
        elif op == 'FullyConnected':
            hidden = int(attrs['num_hidden'])
            cur_param = pre_filter * hidden if attrs.get('no_bias') == 'True' \
                else (pre_filter + 1) * hidden
        elif op == 'BatchNorm' and show_shape:
            cur_param = int(shape_dict[node['name'] + '_output'][1]) * 2
        elif op == 'Embedding':
            cur_param = int(attrs['input_dim']) * int(attrs['output_dim'])
        first = pre_node[0] if pre_node else ''
        print_row([node['name'] + '(' + op + ')', 'x'.join(str(x) for x in out_shape),
                   cur_param, first])
        for extra in pre_node[1:]:
            print_row(['', '', '', extra])
        return cur_param

    print('_' * line_length)
    print_row(['Layer (type)', 'Output Shape', 'Param #', 'Previous Layer'])
    print('=' * line_length)
    total_params = 0
    for i, node in enumerate(nodes):
        out_shape = []
        op = node['op']
        if op == 'null' and i > 0:
            continue
        if op != 'null' or i in heads:
            if show_shape:
                key = node['name'] + ('_output' if op != 'null' else '')
                if key in shape_dict:
                    out_shape = shape_dict[key][1:]
        total_params += layer(node, out_shape)
        print('=' * line_length if i == len(nodes) - 1 else '_' * line_length)
    print('Total params: {params}'.format(params=total_params))
    print('_' * line_length)


# drawings (graphviz, text, HTML) live in viz_plot; mx.viz exposes them here
from .viz_plot import plot_network, plot_network_html, plot_network_text  # noqa: E402,F401
__all__ += ['plot_network', 'plot_network_text', 'plot_network_html']
