#!/usr/bin/env python3
"""Summarises a phases log: samples/s (mean of epochs 2-3) per run, ratios against the round's
1-process run, and per rank the phase seconds summed over epochs 2-3, per step in microseconds."""
import json, sys
rows = []
for line in open(sys.argv[1]):
    if line.startswith('#') or not line.strip(): continue
    name, rnd, js = line.split(' ', 2)
    rows.append((name, int(rnd.split('=')[1]), json.loads(js)))
def sps(o):
    e = o['epoch_seconds'][1:] or o['epoch_seconds']
    n = 60000 if 'limit' not in o else o['limit']
    return n / (sum(e) / len(e))
one = {r: sps(o) for n, r, o in rows if n == 'one_b128'}
pair = {}
for n, r, o in rows:
    if n.startswith('pair'): pair[r] = pair.get(r, 0) + sps(o)
print('| round | 1 process | 2 independent (sum) | ratio | 2 ranks weak shm | ratio |')
print('|---|---|---|---|---|---|')
for n, r, o in rows:
    if n == 'ranks2_weak_vader':
        print(f'| {r} | {one[r]:,.0f} | {pair.get(r, 0):,.0f} | {pair.get(r, 0)/one[r]:.2f}x | {2*sps(o):,.0f} | {2*sps(o)/one[r]:.2f}x |')
names = ['data', 'forward', 'backward', 'allreduceWait', 'optimizer', 'other', 'epochEnd']
print()
print('per step, microseconds (epochs 2-3): ' + ', '.join(names) + ', sum, cpu_s, runqueue_s')
for n, r, o in rows:
    for rp in o.get('rank_phases', []):
        ep = rp['epochs'][1:] or rp['epochs']
        steps = sum(e['steps'] for e in ep)
        v = [sum(e[k] for e in ep) / steps * 1e6 for k in names]
        print(f'{n:18s} r{r} rank{rp["rank"]}: ' + ' '.join(f'{x:7.1f}' for x in v) + f' | {sum(v[:6]):7.1f} | {rp.get("cpu_seconds") or 0:.2f} {rp.get("runqueue_wait_seconds") or 0:.3f}')
