"""A FileOperation with every outcome a file module has, for test_file_action.py (imported there and by the module
process it starts, so it imports nothing of the controller)."""
from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError
from ansible_collections.oob.amt.plugins.module_utils.file_operation import FileOperation

SPEC = dict(
    path=dict(type='path', required=True),
    secret=dict(type='str', no_log=True),
    name=dict(type='str', aliases=['label']),
    count=dict(type='int', default=1),
    mode=dict(type='str', choices=['a', 'b'], default='a'),
    other=dict(type='str'),
)
CONSTRAINTS = dict(required_if=[('mode', 'b', ['other'])], mutually_exclusive=[('secret', 'other')])


def _run(params, check_mode=False, diff=False):
    """Echo what the runner passed, with the outcomes a file module has."""
    if params['count'] == 0:
        raise AmtError('option count: nothing to do in %s' % params['path'], path=params['path'], partial=True)
    if params['count'] < 0:
        return {'failed': True, 'msg': 'option count must not be negative (%s)' % params['secret']}, ['careful']
    result = {'changed': not check_mode, 'path': params['path'], 'seen': [check_mode, diff, params['count']],
              'note': 'made with %s' % params['secret'], 'kept': None, 'flag': False}
    if diff:
        result['diff'] = {'before': '', 'after': params['path']}
    return result, ['look at %s' % params['path']]


OP = FileOperation(SPEC, _run, constraints=CONSTRAINTS)
