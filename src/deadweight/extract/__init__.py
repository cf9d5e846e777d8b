"""Stage 2: one libcst pass per file into plain-data facts (`file.extract`).

Kept empty on purpose: `facts` is imported by every later stage and by a warm, fully cached
run, which must not pay for importing libcst (about 0.3 s); only extraction imports it.
"""
