"""Runs test modules and writes their outcomes as JSON (for test/python/*.test.ts).

    python3 python/tests/report.py OUT.json test_client [test_torch_loop ...]

Every outcome is kept with its test id: the vitest wrapper checks not only
that nothing failed but which tests were skipped, and why.
"""

import json
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def main(out: str, modules: list) -> int:
    suite = unittest.defaultTestLoader.loadTestsFromNames(modules)
    result = unittest.TestResult()
    suite.run(result)
    report = {
        "run": result.testsRun,
        "failures": [[t.id(), tb] for t, tb in result.failures],
        "errors": [[t.id(), tb] for t, tb in result.errors],
        "skipped": [[t.id(), reason] for t, reason in result.skipped],
        "unexpectedSuccesses": [t.id() for t in result.unexpectedSuccesses],
    }
    Path(out).write_text(json.dumps(report, indent=2))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
