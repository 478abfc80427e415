"""The file modules (amt_mgmtcert, amt_usb_setupbin, amt_usb_setupbin_info, amt_reconcile) run in the controller's
worker process on a local connection (plugin_utils/amt_action.py, FileActionBase) and return exactly what their
module process returns: playbooks/file_modules.yml (every outcome once) runs as the module
(OOB_AMT_RUN_AS_MODULE=1) and in the worker; results, files and their modes must match, and only the module run
builds AnsiballZ payloads (kept with ANSIBLE_KEEP_REMOTE_FILES)."""
import json
import os
import re

from tests.integration.runner import run_playbook

MODULES = ('amt_mgmtcert', 'amt_usb_setupbin', 'amt_usb_setupbin_info', 'amt_reconcile')
# generated keys make these differ between two zones; everything else is compared as is
RANDOM = {'serial_number', 'not_before', 'not_after', 'fingerprints', 'root_hash', 'csr'}


def _normal(value, base, key=None):
    if key in RANDOM:
        return '<random>'
    if isinstance(value, dict):
        return dict((k, _normal(v, base, k)) for k, v in value.items())
    if isinstance(value, list):
        return [_normal(v, base) for v in value]
    if isinstance(value, str):
        return re.sub(r'\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~', '<time>~', value.replace(base, '<base>'))
    return value


def _payloads(remote_tmp):
    found = []
    for _dirpath, _dirs, files in os.walk(remote_tmp):
        found += [f for f in files if f.startswith('AnsiballZ_')]
    return found


def _files(base):
    out = {}
    for dirpath, _dirs, files in os.walk(base):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, 'rb') as fh:
                data = fh.read()
            out[os.path.relpath(path, base)] = (oct(os.stat(path).st_mode & 0o7777),
                                                data if not name.endswith(('.key', '.crt', '.pem', '.csr')) else None)
    return out


def test_worker_and_module_return_the_same(tmp_path, monkeypatch):
    monkeypatch.delenv('OOB_AMT_RUN_AS_MODULE', raising=False)
    runs = {}
    for way, env in (('module', {'OOB_AMT_RUN_AS_MODULE': '1'}), ('worker', {})):
        base, remote_tmp = tmp_path / way, tmp_path / ('%s-remote-tmp' % way)
        base.mkdir()
        remote_tmp.mkdir()
        env = dict(env, ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TMP=str(remote_tmp))
        run = run_playbook('file_modules.yml', extra_vars={'base': str(base)}, env=env)
        assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
        results = dict((r['task'], (r['status'], _normal(r['result'], str(base)))) for r in run.results)
        runs[way] = (results, _payloads(str(remote_tmp)), _files(str(base)))
    module, worker = runs['module'], runs['worker']
    assert len(module[0]) == 24
    for task in module[0]:
        assert worker[0].get(task) == module[0][task], task
    assert worker[2] == module[2]                        # the same files, modes and (but for keys) contents
    # only the module run built payloads, one per task of each module
    assert worker[1] == []
    assert sorted(set(module[1])) == sorted('AnsiballZ_%s.py' % m for m in MODULES)
    # the comparison covers what AnsibleModule adds: path stats, invocation, no_log masking, warnings, failures
    results = worker[0]
    status, created = results['setupbin create']
    assert status == 'ok' and created['changed'] and created['mode'] == '0600' and created['size'] == 1024
    assert created['invocation']['module_args']['new_password'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert results['setupbin a no_log value inside the path'][1]['path'] == '<base>/zone/********.bin'
    assert results['mgmtcert alias and option both set, check mode'][1]['warnings'] == [
        'Both option state_or_province and its alias province are set.']
    status, unsupported = results['mgmtcert unsupported parameter']
    assert status == 'failed' and unsupported['msg'].startswith('Unsupported parameters for (oob.amt.amt_mgmtcert) module: bogus.')
    status, refused = results['setupbin other content without force']
    assert status == 'failed' and 'force: true' in refused['msg'] and refused['records'] and refused['mode'] == '0600'
    assert results['reconcile uuid not a string'][1]['msg'] == 'option out_of_band[0].uuid must be a string, got int'
    assert results['mgmtcert path with a tilde and a variable'][1]['files']['key'].startswith(os.path.expanduser('~/'))
    assert os.path.isfile(os.path.join(str(tmp_path / 'worker'), 'report', 'reconcile.yml'))
    assert 'Other-P4ss!' not in json.dumps(results) and 'Zone-P4ss!' not in json.dumps(results)
