# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Let pytest run what Tryton exposes through the unittest ``load_tests``
protocol (the proteus scenarios of ``tests/test_scenario.py``), so that one
runner reports every test of the project; and start building the demo the
tests marked ``demo`` serve while the other tests run."""
import unittest

import pytest


class SuiteFailure(Exception):
    pass


class UnittestItem(pytest.Item):

    def __init__(self, *, test, **kwargs):
        super().__init__(**kwargs)
        self.test = test

    def runtest(self):
        result = unittest.TestResult()
        self.test(result)
        problems = result.errors + result.failures
        if problems:
            raise SuiteFailure('\n'.join(trace for _, trace in problems))
        if result.skipped:
            pytest.skip(result.skipped[0][1])

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, SuiteFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, self.name


def _iter_tests(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from _iter_tests(test)
        else:
            yield test


class LoadTestsModule(pytest.Module):

    def collect(self):
        yield from super().collect()
        load_tests = getattr(self.obj, 'load_tests', None)
        if load_tests is None:
            return
        suite = load_tests(
            unittest.defaultTestLoader, unittest.TestSuite(), None)
        for test in _iter_tests(suite):
            name = str(test).split(' ')[0] if not hasattr(
                test, '_dt_test') else test._dt_test.name
            yield UnittestItem.from_parent(self, name=name, test=test)


def pytest_pycollect_makemodule(module_path, parent):
    if module_path.name == 'test_scenario.py':
        return LoadTestsModule.from_parent(parent, path=module_path)


def pytest_configure(config):
    config.addinivalue_line(
        'markers', "demo: uses the demo database served by tests/demo_server")


def pytest_collection_finish(session):
    if session.config.option.collectonly:
        return
    if any(item.get_closest_marker('demo') for item in session.items):
        import demo_server
        demo_server.prepare()
