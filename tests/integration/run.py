#!/usr/bin/python3
"""Run the mod-gtm integration suite against real knotd + loopback origins.

    /usr/bin/python3 tests/integration/run.py --module build/gtm.so [-k PATTERN]

Ends with a line 'N passed, M failed[, K skipped]'; exit status 1 if any
test failed (or errored), 0 otherwise.
"""

import argparse
import os
import signal
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument('--module', help='path to gtm.so (default build/gtm.so)')
    ap.add_argument('-k', action='append', dest='patterns', default=None,
                    help='only tests whose id contains PATTERN (repeatable)')
    ap.add_argument('--harness-only', action='store_true',
                    help='only the self-tests that need no module')
    ap.add_argument('--keep', action='store_true',
                    help='keep temporary directories (GTM_KEEP_TMP=1)')
    ap.add_argument('--list', action='store_true', help='list tests and exit')
    ap.add_argument('--timeout', type=float, default=900.0,
                    help='whole-suite watchdog in seconds (default 900)')
    ap.add_argument('-q', '--quiet', action='store_true')
    args = ap.parse_args()

    if args.keep:
        os.environ['GTM_KEEP_TMP'] = '1'
    if args.module:
        os.environ['GTM_MODULE'] = os.path.abspath(args.module)

    try:
        import dns.version  # noqa: F401
    except ImportError:
        print('error: dnspython missing: use /usr/bin/python3 with Debian '
              'python3-dnspython (scripts/deps.sh installs it)',
              file=sys.stderr)
        print('0 passed, 1 failed')
        return 1

    import harness
    harness.KEEP_TMP = args.keep or harness.KEEP_TMP
    module = harness.find_module(args.module)
    if args.module and not module:
        print('error: module %s not found' % args.module, file=sys.stderr)
        print('0 passed, 1 failed')
        return 1
    if not module and not args.harness_only:
        print('error: gtm.so not found: build it (meson setup build && ninja '
              '-C build) or pass --module; --harness-only runs the harness '
              'self-tests alone', file=sys.stderr)
        print('0 passed, 1 failed')
        return 1
    harness.MODULE = module

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = ['*%s*' % p for p in args.patterns]
    pattern = 'test_harness.py' if args.harness_only else 'test_*.py'
    suite = loader.discover(HERE, pattern=pattern, top_level_dir=HERE)

    if args.list:
        for t in _iter(suite):
            print(t.id())
        return 0

    def watchdog():
        print('\nerror: integration suite exceeded %.0fs watchdog; killing '
              'knotd instances' % args.timeout, file=sys.stderr, flush=True)
        harness.emergency_cleanup()
        print('0 passed, 1 failed', flush=True)
        os._exit(1)

    timer = threading.Timer(args.timeout, watchdog)
    timer.daemon = True
    timer.start()

    def on_term(signum, _frame):
        harness.emergency_cleanup()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)

    print('knotd: %s, module: %s' % (harness.KNOTD, module or '(none)'),
          flush=True)
    t0 = time.monotonic()
    runner = unittest.TextTestRunner(stream=sys.stdout,
                                     verbosity=1 if args.quiet else 2,
                                     buffer=False)
    try:
        result = runner.run(suite)
    finally:
        timer.cancel()
        harness.emergency_cleanup()
    failed = len(result.failures) + len(result.errors) + \
        len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped - len(result.expectedFailures)
    print('integration suite took %.1fs' % (time.monotonic() - t0))
    line = '%d passed, %d failed' % (passed, failed)
    if skipped:
        line += ', %d skipped' % skipped
    print(line, flush=True)
    return 1 if failed or result.testsRun == 0 else 0


def _iter(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _iter(t)
        else:
            yield t


if __name__ == '__main__':
    sys.exit(main())
