#!/usr/bin/env python3
"""Per run: samples/s of each epoch, the median of epochs 2-5, their spread (max/min), and the
2-rank/1-process ratio per round and limit."""
import json, sys, statistics
runs = {}
for line in open(sys.argv[1]):
    if line.startswith('#'): continue
    name, limit, rnd, js = line.split(' ', 3)
    o = json.loads(js); n = 6000 if limit == 'limit=6000' else 60000
    per = [n / s for s in o['epoch_seconds']]
    med = statistics.median(per[1:])
    runs[(name, limit, rnd)] = med
    print(f'{name:7s} {limit:11s} {rnd}: epochs ' + ', '.join(f'{x:,.0f}' for x in per) + f' | median 2-5 {med:,.0f} | spread {max(per[1:])/min(per[1:]):.3f}')
for (name, limit, rnd), v in runs.items():
    if name == 'ranks2':
        print(f'{limit} {rnd}: ratio {v / runs[("one", limit, rnd)]:.3f}')
