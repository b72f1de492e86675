import json, sys, statistics as st
rows=[]
for line in open(sys.argv[1]):
    if line.startswith('#') or not line.strip(): continue
    name, rnd, js = line.split(' ', 2)
    try: rows.append((name, int(rnd.split('=')[1]), json.loads(js)))
    except Exception: pass
def t(o):
    e=o['epoch_seconds'][1:] or o['epoch_seconds']; return sum(e)/len(e)
one={r:t(o) for n,r,o in rows if n=='one_b128'}
arms={}
for n,r,o in rows:
    if n=='one_b128': continue
    arms.setdefault(n,[]).append((r, one[r]/t(o), o))
for n,v in arms.items():
    ratios=[x[1] for x in v]
    print(f"{n}: {', '.join(f'{x:.3f}' for x in ratios)}  median {st.median(ratios):.3f}")
    for r,ratio,o in v:
        ph=o.get('rank_phases',[])
        for k,rp in enumerate(ph):
            ep=rp['epochs'][1:]
            steps=sum(e['steps'] for e in ep)
            keys=['data','forward','backward','allreduceWait','optimizer','other']
            vals=[sum(e[kk] for e in ep)/steps*1e6 for kk in keys]
            if '-v' in sys.argv: print(f"   r{r} rank{k}: "+' '.join(f'{x:6.1f}' for x in vals)+f" | {sum(vals):6.1f}")
