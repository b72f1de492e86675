#!/usr/bin/env python3
"""Summarises an A/B log of 2026-12-06-mpi-ab.sh: per arm, samples/s (mean of epochs 2-3) and the
ratio against the round's 1-process run, and each rank's phase times per step (µs, epochs 2-3)."""
import json, sys, statistics
rows = []
for line in open(sys.argv[1]):
    if line.startswith('#') or not line.strip(): continue
    name, rnd, js = line.split(' ', 2)
    rows.append((name, int(rnd.split('=')[1]), json.loads(js)))
def sps(o):
    e = o['epoch_seconds'][1:] or o['epoch_seconds']
    return 60000 / (sum(e) / len(e))
one = {r: sps(o) for n, r, o in rows if n == 'one_b128'}
names = ['data', 'forward', 'backward', 'allreduceWait', 'optimizer', 'other', 'epochEnd']
arms = []
for n, r, o in rows:
    if n not in arms: arms.append(n)
print('arm: samples/s per round; ratio per round (median) | per step µs, both ranks: ' + ' '.join(names) + ' | runqueue s')
for a in arms:
    runs = [(r, o) for n, r, o in rows if n == a]
    ratios = [sps(o) / one[r] for r, o in runs]
    print(f'{a}: ' + ', '.join(f'{sps(o):,.0f}' for r, o in runs) + '; ' + ', '.join(f'{x:.2f}' for x in ratios) + f' (median {statistics.median(ratios):.2f}x)')
    for r, o in runs:
        for rp in o.get('rank_phases', []):
            ep = rp['epochs'][1:] or rp['epochs']
            steps = sum(e['steps'] for e in ep)
            v = [sum(e[k] for e in ep) / steps * 1e6 for k in names]
            print(f'    r{r} rank{rp["rank"]}: ' + ' '.join(f'{x:6.1f}' for x in v) + f' | sum {sum(v[:6]):6.1f} | {rp.get("runqueue_wait_seconds") or 0:.3f}')
