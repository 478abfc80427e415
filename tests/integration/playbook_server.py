"""Fork server for the integration tests' ansible-playbook and ansible-inventory runs (tests only).

The suite runs ansible-playbook about 270 times; each run spent about 0.6 s of CPU importing ansible-core, Jinja2,
PyYAML and the libraries the collection loads before doing anything. This process imports them once, then forks a
child per run that executes exactly what the ansible-playbook script executes (ansible.cli.playbook.main) with the
run's arguments, environment, working directory and output files.

ansible-core reads its configuration (ansible.constants) at import time, so a server only serves runs whose
configuration environment (every ANSIBLE_* variable, HOME) is the one it was started with: runner.py keeps one
server per such environment and falls back to a plain subprocess for anything else.

Protocol, one JSON object per line: request {"argv", "env", "cwd", "stdout", "stderr"}; answers {"pid"}, then
{"rc"} (the exit code; -N for a signal) once the child has exited.
"""
import importlib
import json
import os
import sys
import traceback

# Imported once in the server; what ansible-playbook and the collection's action plugins load anyway.
PRELOAD = ('ansible.cli.playbook', 'ansible.cli.inventory', 'ansible.executor.playbook_executor', 'ansible.executor.task_executor',
           'ansible.executor.process.worker', 'ansible.plugins.strategy.linear', 'ansible.plugins.callback.default',
           'ansible.plugins.action', 'ansible.plugins.connection.local', 'jinja2', 'yaml', 'urllib3', 'lxml.etree',
           'cryptography.x509', 'cryptography.hazmat.primitives.asymmetric.rsa',
           'cryptography.hazmat.primitives.serialization.pkcs12')


# the console scripts this server can stand in for, and the module whose main() each runs
CLIS = {'ansible-playbook': 'ansible.cli.playbook', 'ansible-inventory': 'ansible.cli.inventory'}


def _preload():
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    _cache_collection_metadata()
    _import_collection_plugins()
    _load_plugin_configuration()


def _cache_collection_metadata():
    """Parse ansible.builtin's routing table (ansible_builtin_runtime.yml, 376 kB of YAML) once, here.

    Every ansible-playbook process parses it again when it first resolves a plugin: about 0.2 s of CPU per run, 8% of
    the suite's. The collection loader's parser is documented as replaceable by a caching one (its content_id
    argument exists for that); each run is a forked child, so a table it might change stays its own."""
    from ansible.utils.collection_loader import _collection_finder
    parse = _collection_finder._meta_yml_to_dict
    if parse is None:
        return
    parsed = {}

    def cached(yaml_data, content_id):
        key = (content_id, yaml_data)
        if key not in parsed:
            parsed[key] = parse(yaml_data, content_id)
        return parsed[key]
    _collection_finder._meta_yml_to_dict = cached
    import ansible
    path = os.path.join(os.path.dirname(ansible.__file__), 'config', 'ansible_builtin_runtime.yml')
    with open(path, 'rb') as fh:
        cached(fh.read(), ('ansible.builtin', 'runtime.yml'))


def _run_child(request):
    """In the forked child: become the ansible-playbook process of this request; never returns."""
    code = 250
    try:
        os.setpgrp()             # the runner kills the whole group (workers, module processes) on a timeout
        os.chdir(request['cwd'])
        os.environ.clear()
        os.environ.update(request['env'])
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, request['stdout']), (2, request['stderr'])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        sys.argv = list(request['argv'])
        main = importlib.import_module(CLIS[os.path.basename(sys.argv[0])]).main
        try:
            main(sys.argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:       # pylint: disable=broad-except
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:   # pylint: disable=broad-except
                pass
        os._exit(code)          # no atexit: the server's local temporary directory is not the child's to remove


def _load_plugin_configuration():
    """What every run does first (PlaybookExecutor.run, TaskQueueManager.load_callbacks, InventoryManager): import
    ansible-core's connection, shell, become, callback, action, lookup, filter and test plugins and the enabled
    inventory plugins, and parse their DOCUMENTATION into configuration definitions, about 8% of the suite's CPU.
    The server serves one configuration environment, so the result is the run's own."""
    from ansible import constants
    from ansible.plugins import loader
    for plugins in (loader.connection_loader, loader.shell_loader, loader.become_loader, loader.callback_loader,
                    loader.action_loader, loader.lookup_loader, loader.filter_loader, loader.test_loader):
        list(plugins.all(class_only=True))
    for name in constants.INVENTORY_ENABLED:
        loader.inventory_loader.get(name)


def _import_collection_plugins():
    """Import the collection's action and filter plugins (and so its module_utils) once, here.

    They load through the collection loader, which each run's CLI sets up (init_plugin_loader): the server sets it up
    the same way, from the same configuration, and the runs skip that step (the warning that they do is muted)."""
    import glob
    import warnings
    from ansible.plugins.loader import init_plugin_loader
    init_plugin_loader([])
    warnings.filterwarnings('ignore', message='AnsibleCollectionFinder has already been configured')
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for kind in ('action', 'filter'):
        for path in sorted(glob.glob(os.path.join(root, 'plugins', kind, '*.py'))):
            name = os.path.splitext(os.path.basename(path))[0]
            if name != '__init__':
                try:
                    importlib.import_module('ansible_collections.oob.amt.plugins.%s.%s' % (kind, name))
                except ImportError:
                    pass


def serve(control_in, control_out):
    _preload()
    for line in control_in:
        request = json.loads(line)
        control_out.flush()
        pid = os.fork()
        if pid == 0:
            control_in.close()
            control_out.close()
            _run_child(request)
        control_out.write(json.dumps({'pid': pid}) + '\n')
        control_out.flush()
        status = os.waitpid(pid, 0)[1]
        control_out.write(json.dumps({'rc': os.waitstatus_to_exitcode(status)}) + '\n')
        control_out.flush()


if __name__ == '__main__':
    # the control channel moves off fds 0 and 1, which each child points at /dev/null and its output file
    control_in = os.fdopen(os.dup(0), 'r')
    control_out = os.fdopen(os.dup(1), 'w')
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdout = os.fdopen(1, 'w')
    serve(control_in, control_out)
