"""knotc conf-check against bad data files.

Each tests/data/conf/bad-*.conf (and tests/integration/data/bad-*.conf)
starts with '# error: <expected substring>'; an optional '# line: N' line
makes the test also require 'FILE:N' in the output.
"""

import glob
import os
import re

from harness import REPO, HERE, GtmTestCase

DIRS = [os.path.join(REPO, 'tests', 'data', 'conf'),
        os.path.join(HERE, 'data')]
# A small GeoIP database for good files with country/continent rules.
GEODB = os.path.join(REPO, 'tests', 'data', 'geo', 'test.mmdb')


def bad_files():
    out = []
    for d in DIRS:
        out.extend(sorted(glob.glob(os.path.join(d, 'bad-*.conf'))))
    return out


def expectations(path):
    exp = {'error': None, 'line': None}
    with open(path, errors='replace') as f:
        for line in f:
            m = re.match(r'#\s*(error|line):\s*(.*?)\s*$', line)
            if not m:
                break
            exp[m.group(1)] = m.group(2)
    return exp


class ConfCheck(GtmTestCase):

    def conf_check(self, data_file, geodb=None):
        k = self.new_knot()
        inst = {'config-file': data_file}
        if geodb:
            inst['geodb-file'] = geodb
        k.configure(instances={'default': inst})
        return k.knotc('conf-check')

    def test_good_files_accepted(self):
        files = [os.path.join(HERE, 'data', 'good.conf')]
        for d in DIRS:
            files.extend(sorted(glob.glob(os.path.join(d, 'good-*.conf'))))
        for path in files:
            with self.subTest(file=os.path.relpath(path, REPO)):
                r = self.conf_check(path, geodb=GEODB)
                self.assertEqual(r.returncode, 0, r.stdout)

    def test_bad_files_rejected(self):
        files = bad_files()
        self.assertTrue(files, 'no bad-*.conf files found in %s' % DIRS)
        for path in files:
            name = os.path.basename(path)
            exp = expectations(path)
            with self.subTest(file=os.path.relpath(path, REPO)):
                self.assertIsNotNone(exp['error'],
                                     '%s lacks a "# error:" first line'
                                     % name)
                r = self.conf_check(path)
                self.assertNotEqual(r.returncode, 0,
                                    'conf-check accepted %s:\n%s'
                                    % (name, r.stdout))
                self.assertIn(exp['error'], r.stdout)
                self.assertRegex(r.stdout, re.escape(name) + r':\d+',
                                 'no FILE:LINE in the message')
                if exp['line']:
                    self.assertIn('%s:%s' % (name, exp['line']), r.stdout)

    def test_missing_file_rejected(self):
        r = self.conf_check(os.path.join(self.tmp, 'nonexistent.conf'))
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn('nonexistent.conf', r.stdout)

    def test_missing_config_file_item(self):
        k = self.new_knot()
        k.configure(instances={'default': {'config-file': '/dev/null'}})
        # drop the config-file line altogether
        text = open(k.conf_path).read()
        text = re.sub(r'\n\s*config-file: /dev/null', '', text)
        k.write('knot.conf', text)
        r = k.knotc('conf-check')
        self.assertNotEqual(r.returncode, 0, r.stdout)
