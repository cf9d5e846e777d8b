"""What both caches are keyed on: deadweight's own source, read from the package folder.

Every `.py` file under the installed `deadweight` package is hashed: the extractor, the
conventions, the model, the built-in rules and the engine itself. No hand-kept list of modules,
so a module added later is covered, and in an editable install an edit anywhere (a rule's
shared helper included) invalidates cached facts and cached results alike. Hashing the whole
package costs a few milliseconds, once per process.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import deadweight
from deadweight import __version__

PACKAGE_ROOT = Path(deadweight.__file__).resolve().parent


@functools.lru_cache(maxsize=1)
def package_digest() -> str:
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def extraction_salt() -> str:
    """Facts-cache salt: a development build never trusts facts an older extractor wrote."""
    return f"deadweight {__version__} {package_digest()[:16]}"
