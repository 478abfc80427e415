"""results.py: the failed-result shape and how a runner's outcome ends a module."""
import pytest

from ansible_collections.oob.amt.plugins.module_utils.results import failed, finish_module


class _Ended(Exception):
    pass


class _Module:
    def __init__(self):
        self.warnings, self.ended = [], None

    def warn(self, text):
        self.warnings.append(text)

    def fail_json(self, **kw):
        self.ended = ('fail', kw)
        raise _Ended()

    def exit_json(self, **kw):
        self.ended = ('exit', kw)
        raise _Ended()


def test_failed_puts_failed_and_msg_over_the_extra_keys():
    assert failed('AMT device x: power on: refused', exchanges=2, failed=False) == \
        {'exchanges': 2, 'failed': True, 'msg': 'AMT device x: power on: refused'}


@pytest.mark.parametrize('result,how', [({'changed': True}, 'exit'), (failed('no', changed=False), 'fail')])
def test_finish_module_warns_then_fails_or_exits(result, how):
    module = _Module()
    with pytest.raises(_Ended):
        finish_module(module, dict(result), ['plain HTTP'])
    assert module.warnings == ['plain HTTP']
    assert module.ended[0] == how and 'failed' not in module.ended[1]
