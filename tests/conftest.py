import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Import Hypothesis fully before any test runs: its pytest plugin imports it lazily at the end of
# the session, and CPython 3.11 can fail to compile a module then ("AST constructor recursion
# depth mismatch") after the Pulumi runtime has run in this process.
import hypothesis.internal.observability  # noqa: E402,F401
