"""mxlite's steady-state throughput relative to each peer, within each run, then medians.

usage: python benchmarks/ratios.py RESULTS.jsonl ...   (one file per run.sh invocation)
"""
import json
import statistics
import sys


def main(paths):
    per_peer = {}
    rss = {}
    for path in paths:
        rows = [json.loads(line) for line in open(path) if line.strip()]
        for group in _runs(rows):
            _add(group, per_peer, rss)
    _print(per_peer, rss)


def _runs(rows):
    """Rows split into runs: run.sh writes the peers then mxlite for each repetition."""
    group = []
    for r in rows:
        group.append(r)
        if r['framework'].startswith('mxlite'):
            yield group
            group = []


def _add(rows, per_peer, rss):
    m = rows[-1]
    for r in rows:
        rss.setdefault(r['framework'], []).append(r['peak_rss_kb'] / 1024)
        if r is m or not r.get('steady_samples_per_s'):
            continue
        per_peer.setdefault(r['framework'], []).append(
            (m['steady_samples_per_s'] / r['steady_samples_per_s'],
             m['samples_per_s'] / r['samples_per_s']))


def _print(per_peer, rss):
    print('| mxlite vs | runs | steady samples/s ratio: median (each run) | whole epoch ratio |')
    print('|---|---|---|---|')
    for fw, vals in per_peer.items():
        steady = [v[0] for v in vals]
        whole = [v[1] for v in vals]
        print('| %s | %d | %.2fx (%s) | %.2fx |'
              % (fw, len(vals), statistics.median(steady),
                 ', '.join('%.2f' % v for v in steady), statistics.median(whole)))
    print()
    print('peak RSS MB (median): ' + ', '.join(
        '%s %.0f' % (fw, statistics.median(v)) for fw, v in rss.items()))


if __name__ == '__main__':
    main(sys.argv[1:])
