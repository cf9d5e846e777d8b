"""What a DDP (or Lightning) unused-parameter error names: parameters by dotted name (with
`TORCH_DISTRIBUTED_DEBUG=DETAIL`) and by index, per rank.

The error is torch's reducer message, which Lightning re-raises with its own hint around it;
both keep torch's two lines, so those are what is read:

    Parameters which did not receive grad for rank 0: head.bias, blocks.1.attn.proj.weight
    Parameter indices which did not receive grad for rank 0: 7 31

Everything else in a pasted log (tracebacks, Lightning's advice, other ranks' noise) is
ignored; the same name reported by several ranks is listed once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAMES = re.compile(r"Parameters which did not receive grad for rank (\d+):\s*(?P<names>[^\n]*)")
_INDICES = re.compile(r"Parameter indices which did not receive grad for rank (\d+):\s*(?P<indices>[\d\s]*)")
_NAME = re.compile(r"[A-Za-z_][\w]*(?:\.[\w]+)*")


@dataclass
class DdpError:
    names: list[str] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)
    ranks: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.names and not self.indices


def parse_ddp_error(text: str) -> DdpError:
    out = DdpError()
    for m in _NAMES.finditer(text):
        out.ranks.append(m.group(1))
        for name in _NAME.findall(m.group("names")):
            if name not in out.names:
                out.names.append(name)
    for m in _INDICES.finditer(text):
        if m.group(1) not in out.ranks:
            out.ranks.append(m.group(1))
        for index in m.group("indices").split():
            if int(index) not in out.indices:
                out.indices.append(int(index))
    return out
