"""MXNet's symbol JSON: written byte-for-byte as MXNet 1.9.1 writes it, and read back,
including the older layouts MXNet upgrades (`param`/`attr` instead of `attrs`, entries
without a version, no `node_row_ptr`)."""
import json

from ..base import MXNetError
from ..graph.ir import Graph, Node
from ..ops import registry

MXNET_VERSION = 10901


# ------------------------------------------------------------------------- writer
class _Writer:
    """dmlc::JSONWriter's layout: ', ' separators, 2-space indent, arrays of plain values
    inline up to 10 items, objects inline only when they hold at most one key."""

    def __init__(self):
        self.parts = []
        self.multi = []
        self.count = []

    def _sep(self):
        if not self.multi or self.multi[-1]:
            self.parts.append('\n' + ' ' * (len(self.multi) * 2))

    def begin(self, bracket, multi_line):
        self.parts.append(bracket)
        self.multi.append(multi_line)
        self.count.append(0)

    def end(self, bracket):
        multi = self.multi.pop()
        n = self.count.pop()
        if multi and n:
            self._sep()
        self.parts.append(bracket)

    def item(self):
        if self.count[-1]:
            self.parts.append(', ')
        self.count[-1] += 1
        self._sep()

    def key(self, name):
        if self.count[-1]:
            self.parts.append(', ')
        self._sep()
        self.parts.append('"%s": ' % name)
        self.count[-1] += 1

    def string(self, text):
        out = ['"']
        for ch in text:
            out.append(_ESCAPES.get(ch, ch))
        out.append('"')
        self.parts.append(''.join(out))

    def value(self, v):
        if isinstance(v, str):
            self.string(v)
        elif isinstance(v, bool):
            self.parts.append('true' if v else 'false')
        elif isinstance(v, int):
            self.parts.append(str(v))
        elif isinstance(v, dict):
            self.begin('{', len(v) > 1)
            for k in sorted(v):
                self.key(k)
                self.value(v[k])
            self.end('}')
        elif isinstance(v, (list, tuple)):
            plain = all(isinstance(x, (int, str)) for x in v)
            self.begin('[', len(v) > 10 or not plain)
            for x in v:
                self.item()
                self.value(x)
            self.end(']')
        else:
            raise TypeError('cannot write %r' % (v,))


_ESCAPES = {'\r': '\\r', '\n': '\\n', '\\': '\\\\', '\t': '\\t', '"': '\\"'}


def _write_entry(w, e):
    w.begin('[', False)
    for x in e:
        w.item()
        w.parts.append(str(x))
    w.end(']')


def graph_to_json(heads):
    """The JSON text MXNet 1.9.1 writes for a symbol whose outputs are `heads`."""
    w = _Writer()
    _write_graph(w, heads, True)
    return ''.join(w.parts)


def _write_graph(w, heads, top_level):
    """One graph object; a control-flow node's bodies nest as graphs in its 'subgraphs'
    list, laid out like the top level but without the version 'attrs'."""
    g = Graph(heads)
    aux_version = {}
    for n in g.nodes:
        if n.op is not None:
            for i in n.aux_input_indices():
                aux_version[(id(n), i)] = 1
    w.begin('{', True)
    w.key('nodes')
    w.begin('[', True)
    for n in g.nodes:
        w.item()
        w.begin('{', True)
        w.key('op')
        w.string('null' if n.op is None else n.op.name)
        w.key('name')
        w.string(n.name)
        if n.attrs:
            w.key('attrs')
            w.value(dict(n.attrs))
        w.key('inputs')
        entries = [[g.index[id(src)], k, aux_version.get((id(n), slot), 0)]
                   for slot, (src, k) in enumerate(n.inputs)]
        _write_entry_list(w, entries)
        if n.subgraphs:
            w.key('subgraphs')
            w.begin('[', True)
            for sub in n.subgraphs:
                w.item()
                _write_graph(w, sub._entries, False)
            w.end(']')
        w.end('}')
    w.end(']')
    w.key('arg_nodes')
    w.value([i for i, n in enumerate(g.nodes) if n.op is None])
    w.key('node_row_ptr')
    w.value(list(g.row_ptr))
    w.key('heads')
    _write_entry_list(w, [[g.index[id(n)], k, 0] for n, k in heads])
    if top_level:
        w.key('attrs')
        w.begin('{', False)
        w.key('mxnet_version')
        w.begin('[', False)
        w.item()
        w.string('int')
        w.item()
        w.parts.append(str(MXNET_VERSION))
        w.end(']')
        w.end('}')
    w.end('}')


def _write_entry_list(w, entries):
    w.begin('[', len(entries) > 10)
    for e in entries:
        w.item()
        _write_entry(w, e)
    w.end(']')


# ------------------------------------------------------------------------- reader
def json_to_heads(text, source='<json>'):
    """-> list of head entries (Node, index) from MXNet symbol JSON of any 1.x layout."""
    try:
        doc = json.loads(text)
    except (ValueError, TypeError) as exc:
        raise MXNetError('%s: not valid symbol JSON: %s' % (source, exc)) from None
    return _doc_to_heads(doc, source)


def _doc_to_heads(doc, source):
    if not isinstance(doc, dict) or not isinstance(doc.get('nodes'), list):
        raise MXNetError("%s: symbol JSON needs a 'nodes' list" % source)
    raw_nodes = doc['nodes']
    nodes = []
    for i, raw in enumerate(raw_nodes):
        if not isinstance(raw, dict) or 'op' not in raw or 'name' not in raw:
            raise MXNetError("%s: node %d needs 'op' and 'name'" % (source, i))
        attrs = {}
        for key in ('param', 'attr', 'attrs'):  # oldest first: newer layouts win
            part = raw.get(key)
            if isinstance(part, dict):
                attrs.update({str(k): str(v) for k, v in part.items()})
        op_name = raw['op']
        if op_name == 'null':
            nodes.append(Node(None, raw['name'], attrs))
            continue
        op = registry.find(op_name)
        if op is None:
            nodes.append(_Unknown(op_name, raw['name']))
            continue
        nodes.append(Node(op, raw['name'], _upgrade_hidden_keys(op, attrs),
                          subgraphs=_read_subgraphs(raw, source)))
    for i, raw in enumerate(raw_nodes):
        node = nodes[i]
        inputs = []
        for e in raw.get('inputs', []):
            if not isinstance(e, list) or not e or not 0 <= int(e[0]) < i:
                raise MXNetError('%s: node %d (%s) has a bad input entry %r'
                                 % (source, i, raw['name'], e))
            inputs.append((nodes[int(e[0])], int(e[1]) if len(e) > 1 else 0))
        node.inputs = inputs
    heads_raw = doc.get('heads')
    if not heads_raw:
        raise MXNetError("%s: symbol JSON has no 'heads'" % source)
    heads = []
    for e in heads_raw:
        idx = int(e[0])
        if not 0 <= idx < len(nodes):
            raise MXNetError('%s: head entry %r points outside the %d nodes'
                             % (source, e, len(nodes)))
        heads.append((nodes[idx], int(e[1]) if len(e) > 1 else 0))
    # only what the heads reach matters (old files also carry backward nodes)
    _check_known(heads, source)
    return heads


# attribute names older MXNet files store bare; MXNet's loader renames them to __name__
_HIDDEN_KEYS = ('ctx_group', 'lr_mult', 'wd_mult', 'force_mirroring', 'mirror_stage')


def _upgrade_hidden_keys(op, attrs):
    out = {}
    for key, value in attrs.items():
        if key in _HIDDEN_KEYS and key not in op.params:
            key = '__%s__' % key
        out[key] = value
    return out


class _Unknown:
    """Placeholder for an operator this build does not know; reported if reachable."""

    def __init__(self, op_name, name):
        self.op_name = op_name
        self.name = name
        self.inputs = []
        self.op = None


def _check_known(heads, source):
    from ..graph.ir import topo_order
    for n in topo_order(heads):
        if isinstance(n, _Unknown):
            raise MXNetError("%s: unknown operator '%s' in node '%s'; mxlite cannot run it%s"
                             % (source, n.op_name, n.name,
                                registry.did_you_mean(n.op_name, registry.all_ops())))


def _read_subgraphs(raw, source):
    """A control-flow node's bodies (its 'subgraphs' list) as Symbols, or None."""
    subs = raw.get('subgraphs')
    if not subs:
        return None
    if not isinstance(subs, list):
        raise MXNetError("%s: node '%s' has a 'subgraphs' entry that is not a list"
                         % (source, raw['name']))
    from .symbol import Symbol
    return [Symbol(_doc_to_heads(sub, "%s: subgraph %d of node '%s'"
                                 % (source, i, raw['name'])))
            for i, sub in enumerate(subs)]
