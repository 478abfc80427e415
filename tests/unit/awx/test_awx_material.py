"""The AWX material is consistent: credential types have the shape AWX accepts and inject only their own inputs,
the inventory source is an oob.amt.amt config, and every playbook a job template names exists."""
import os
import re

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
AWX = os.path.join(REPO, 'awx')


def load(*parts):
    with open(os.path.join(AWX, *parts)) as fh:
        return yaml.safe_load(fh)


def test_credential_types_inject_only_their_inputs():
    types = sorted(os.listdir(os.path.join(AWX, 'credential_types')))
    assert types == ['amt_admin.yml', 'amt_provisioning_certificate.yml']
    for name in types:
        ctype = load('credential_types', name)
        assert set(ctype) == {'name', 'description', 'kind', 'inputs', 'injectors'}, name
        ids = set(f['id'] for f in ctype['inputs']['fields'])
        assert set(ctype['inputs'].get('required', [])) <= ids
        files = set(k.split('.', 1)[1] for k in ctype['injectors'].get('file', {}))
        for value in list(ctype['injectors'].get('env', {}).values()) + list(ctype['injectors'].get('file', {}).values()):
            for ref in re.findall(r'\{\{\s*([\w.]+)\s*\}\}', value):
                assert ref in ids or (ref.startswith('tower.filename.') and ref.split('.')[-1] in files), (name, ref)
        secrets = [f['id'] for f in ctype['inputs']['fields'] if 'password' in f['id'] or f['id'].endswith('_pem')]
        assert all(f.get('secret') for f in ctype['inputs']['fields'] if f['id'] in secrets), name


def test_admin_credential_feeds_the_modules_environment_fallbacks():
    env = load('credential_types', 'amt_admin.yml')['injectors']['env']
    assert set(env) == {'AMT_USERNAME', 'AMT_PASSWORD'}
    with open(os.path.join(REPO, 'plugins', 'module_utils', 'device.py')) as fh:
        common = fh.read()
    assert "env_fallback, ['AMT_PASSWORD']" in common and "env_fallback, ['AMT_USERNAME']" in common


def test_inventory_source_and_job_templates_point_at_real_files():
    source = load('inventories', 'amt.yml')
    assert source['plugin'] == 'oob.amt.amt' and source.get('ranges')
    with open(os.path.join(AWX, 'configure_awx.yml')) as fh:
        text = fh.read()
    playbooks = set(re.findall(r'playbook:\s*([\w./-]+\.yml)', text))
    assert {'playbooks/power.yml', 'playbooks/power_schedule.yml', 'playbooks/discover.yml',
            'playbooks/reconcile.yml'} <= playbooks
    for playbook in playbooks:
        assert os.path.exists(os.path.join(REPO, playbook)), playbook
    assert 'job_slice_count' in text and 'awx.awx.schedule' in text


def test_execution_environment_files():
    with open(os.path.join(REPO, 'meta', 'execution-environment.yml')) as fh:
        meta = yaml.safe_load(fh)
    assert meta['version'] == 3
    assert meta['dependencies'] == {'python': 'requirements.txt', 'system': 'bindep.txt'}
    for name in ('requirements.txt', 'bindep.txt'):
        assert os.path.exists(os.path.join(REPO, name))
    image = load('execution-environment.yml')
    assert image['version'] == 3 and image['images']['base_image']['name']


def _configure_tasks():
    return dict((t['name'], t) for t in load('configure_awx.yml')[0]['tasks'])


def _known_variables(playbook):
    """Variables a job template may pass to a playbook: those its text names, and its roles' argument specs."""
    with open(os.path.join(REPO, playbook)) as fh:
        text = fh.read()
    known = set(re.findall(r'\b([a-z_][a-z0-9_]*)\b', text))
    # roles: [oob.amt.x] / - role: oob.amt.x / include_role name: oob.amt.x
    for role in set(re.findall(r'\boob\.amt\.(\w+)', text)):
        if not os.path.isdir(os.path.join(REPO, 'roles', role)):
            continue
        with open(os.path.join(REPO, 'roles', role, 'meta', 'argument_specs.yml')) as fh:
            known |= set(yaml.safe_load(fh)['argument_specs']['main']['options'])
    return known


def test_job_templates_and_schedules_pass_only_variables_the_playbooks_take():
    play_vars = load('configure_awx.yml')[0]['vars']
    tasks = _configure_tasks()
    templates = dict((t['name'], t) for t in tasks['Create the job templates']['loop'])
    for template in templates.values():
        known = _known_variables(template['playbook'])
        unknown = set(template.get('extra_vars') or {}) - known
        assert not unknown, (template['name'], unknown)
    survey = set(q['variable'] for q in play_vars['oob_amt_power_survey']['spec'])
    assert survey <= _known_variables('playbooks/power.yml'), survey
    for schedule in tasks['Schedule discovery, reconciliation, the alarm clocks and weekday power']['loop']:
        if schedule['template'] in templates:
            known = _known_variables(templates[schedule['template']]['playbook'])
            assert set(schedule.get('extra_data') or {}) <= known, schedule['name']


def test_fleet_templates_use_the_fleet_path():
    """The scheduled power template runs unattended over whole slices: the fleet path, few forks, a failure threshold,
    no controller timers; schedules of whole-fleet power force the fleet path; reconciliation reads on it."""
    play_vars = load('configure_awx.yml')[0]['vars']
    tasks = _configure_tasks()
    templates = dict((t['name'], t) for t in tasks['Create the job templates']['loop'])
    scheduled = templates['AMT scheduled power']
    assert scheduled['extra_vars']['power_schedule_fleet'] is True
    assert scheduled['extra_vars']['power_schedule_controller_backend'] == 'none'
    assert 'power_schedule_max_fail_percentage' in scheduled['extra_vars']
    assert scheduled['forks'] == '{{ oob_amt_fleet_forks }}' and play_vars['oob_amt_fleet_forks'] <= 10
    assert templates['AMT reconciliation']['extra_vars']['reconcile_fleet'] is True
    power = templates['AMT on-demand power']['extra_vars']
    assert {'power_throttle', 'power_max_fail_percentage'} <= set(power)
    schedules = tasks['Schedule discovery, reconciliation, the alarm clocks and weekday power']['loop']
    whole_fleet = [s for s in schedules if s['template'] == 'AMT on-demand power']
    assert whole_fleet and all(s['extra_data']['power_fleet'] == 'true' for s in whole_fleet)
    assert any(s['template'] == 'AMT scheduled power' and 'FREQ=DAILY' in s['rrule'] for s in schedules)
