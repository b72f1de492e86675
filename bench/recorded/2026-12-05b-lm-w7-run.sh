#!/bin/bash
cd /work/wt-lm
O=bench/recorded/2026-12-05b-lm-w7
flock /tmp/bench.lock bash -c "echo \"## \$(date -u +%FT%TZ) commit 683d6a9, uptime before: \$(uptime)\" > $O.log; bench/compare.sh --workloads W7 --backprop-bin /tmp/lm-acc/backprop-683d6a9 --out $O.jsonl >> $O.log 2>&1; echo \"rc \$? uptime after: \$(uptime)\" >> $O.log"
