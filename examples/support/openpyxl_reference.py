#!/usr/bin/env python3
"""What a user would write for a workbook: openpyxl (read-only, the fast mode) + hashlib, with
the same rules as the shared python_reference.py, one digest file per list type.
Usage: openpyxl_reference.py IN.xlsx OUTDIR"""
import hashlib, os, re, sys
from openpyxl import load_workbook

src, outdir = sys.argv[1], sys.argv[2]
os.makedirs(outdir, exist_ok=True)
HEX64 = re.compile(r'^[0-9a-fA-F]{64}$')
UUID = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
ZERO = '00000000-0000-0000-0000-000000000000'
sets = {'EMAIL': set(), 'MAID': set(), 'IDFA': set()}
book = load_workbook(src, read_only=True)
rows = book.worksheets[0].iter_rows(values_only=True)
header = [str(c) for c in next(rows)]
ecol = header.index('Email Address') if 'Email Address' in header else header.index('email')
gcol, acol = header.index('gaid'), header.index('idfa')
text = lambda v: '' if v is None else str(v)
for row in rows:
    e = text(row[ecol]).strip()
    if HEX64.match(e):
        sets['EMAIL'].add(e.lower())
    elif e:
        e = e.lower()
        if e.count('@') == 1:
            l, d = e.split('@')
            if l and '.' in d and not d.startswith('.') and not d.endswith('.') and not any(c.isspace() for c in e):
                sets['EMAIL'].add(hashlib.sha256(e.encode()).hexdigest())
    g = text(row[gcol]).strip()
    if UUID.match(g) and g != ZERO:
        sets['MAID'].add(hashlib.sha256(g.lower().encode()).hexdigest())
    a = text(row[acol]).strip()
    if UUID.match(a) and a != ZERO:
        sets['IDFA'].add(hashlib.sha256(a.upper().encode()).hexdigest())
for k, v in sets.items():
    with open(os.path.join(outdir, k + '.txt'), 'w') as o:
        for h in v:
            o.write(h + '\n')
print({k: len(v) for k, v in sets.items()})
