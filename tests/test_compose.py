"""Container setup: docker-compose.yml validates and has the production shape
of DESIGN.md ("When one machine is not enough"); the Dockerfile keeps the
settings measured in TRYTON-NOTES.md.

No Docker engine is needed: `docker-compose config` only reads the files.
docker-compose is required (CI installs it): without it these tests fail.
"""
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / 'docker-compose.yml'
DOCKERFILE = ROOT / 'Dockerfile'
ENTRYPOINT = ROOT / 'docker' / 'entrypoint.sh'

SERVICES = {'postgres', 'trytond', 'cron', 'worker'}

# Reads YAML on stdin, writes JSON; run with docker-compose's own Python,
# which has PyYAML (a dependency of docker-compose), so the project does not
# need it.
YAML_TO_JSON = (
    'import json, sys, yaml; '
    'json.dump(yaml.safe_load(sys.stdin), sys.stdout)')


def docker_compose():
    executable = shutil.which('docker-compose')
    if executable is None:
        pytest.fail(
            "docker-compose not found: install it with "
            "`apt-get install docker-compose` (CI installs it)",
            pytrace=False)
    return executable


def run_compose(*args):
    result = subprocess.run(
        [docker_compose(), '-f', str(COMPOSE_FILE), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (
        f"docker-compose {' '.join(args)} exited with {result.returncode}:\n"
        f"{result.stderr}")
    return result.stdout


def compose_python():
    "The Python interpreter of the docker-compose script (its shebang)"
    with open(docker_compose(), 'rb') as script:
        first_line = script.readline().decode('utf-8', 'replace')
    if first_line.startswith('#!'):
        command = shlex.split(first_line[2:])
        if command and Path(command[0]).name.startswith('python'):
            return command
    return None


def compose_config():
    "The resolved configuration as a dict, or None if it cannot be parsed"
    output = run_compose('config')
    python = compose_python()
    if python is None:
        return None
    result = subprocess.run(
        [*python, '-c', YAML_TO_JSON], input=output,
        capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        return None
    return json.loads(result.stdout)


def publishes(ports, port):
    for entry in ports or []:
        if isinstance(entry, dict):
            if (str(entry.get('target')) == str(port)
                    and str(entry.get('published')) == str(port)):
                return True
        elif re.fullmatch(
                rf'(?:[\d.]+:)?{port}:{port}(?:/tcp)?', str(entry)):
            return True
    return False


def dockerfile_stages():
    """The instructions of each stage of the Dockerfile as
    [[(INSTRUCTION, arguments), ...], ...]"""
    lines = [
        line for line in DOCKERFILE.read_text().splitlines()
        if not line.lstrip().startswith('#')]
    logical = re.sub(r'\\[ \t]*\n', ' ', '\n'.join(lines))
    stages = []
    for line in logical.splitlines():
        if not line.strip():
            continue
        instruction, _, arguments = line.strip().partition(' ')
        instruction = instruction.upper()
        if instruction == 'FROM':
            stages.append([])
        if stages:
            stages[-1].append((instruction, arguments.strip()))
    return stages


def test_compose_config_valid():
    "docker-compose accepts docker-compose.yml"
    run_compose('config', '-q')


def test_compose_services():
    "postgres, trytond (WSGI on port 8000), cron and worker"
    services = set(run_compose('config', '--services').split())
    assert SERVICES <= services, f"missing services: {SERVICES - services}"

    config = compose_config()
    if config is None:
        # No PyYAML next to docker-compose: check the text of the output.
        output = run_compose('config')
        trytond = re.search(
            r'^  trytond:\n((?:    .*\n|  - .*\n)*)', output, re.M)
        assert trytond, output
        assert re.search(
            r'published: 8000\n\s+target: 8000|[\'"]?8000:8000',
            trytond.group(1)), output
        return

    services = config['services']
    trytond = services['trytond']
    assert publishes(trytond.get('ports'), 8000), trytond.get('ports')
    assert (trytond['depends_on']['postgres']['condition']
        == 'service_healthy'), trytond['depends_on']
    assert 'healthcheck' in trytond
    assert 'healthcheck' in services['postgres']
    assert ' '.join(services['cron']['command']).startswith('trytond-cron')
    assert ' '.join(services['worker']['command']).startswith(
        'trytond-worker')
    for name in ['trytond', 'cron', 'worker']:
        environment = services[name]['environment']
        assert environment.get('PYTHONOPTIMIZE') == '1', (name, environment)
        assert environment.get('TRYTOND_DATABASE__URI', '').startswith(
            'postgresql://'), (name, environment)
        assert environment.get('TRYTOND_DATABASE_NAMES'), (name, environment)
    assert {'pgdata', 'filestore'} <= set(config.get('volumes') or {})


def test_dockerfile_settings():
    "PYTHONOPTIMIZE=1 in the image and the web client pinned to sao 8.0"
    stages = dockerfile_stages()
    assert stages, "no FROM in the Dockerfile"

    environment = {}
    for instruction, arguments in stages[-1]:
        if instruction == 'ENV':
            for item in shlex.split(arguments):
                key, _, value = item.partition('=')
                environment[key] = value
    assert environment.get('PYTHONOPTIMIZE') == '1', environment

    runs = ' '.join(
        arguments for stage in stages for instruction, arguments in stage
        if instruction == 'RUN')
    versions = re.findall(r'tryton-sao@(\S+)', runs)
    assert versions, "the Dockerfile does not install tryton-sao"
    for version in versions:
        assert re.fullmatch(r'8\.0\.\d+', version), (
            f"tryton-sao must be pinned to 8.0.x, not {version!r}")


def test_entrypoint_script():
    "docker/entrypoint.sh is executable and valid sh"
    assert ENTRYPOINT.stat().st_mode & 0o111, f"{ENTRYPOINT} not executable"
    result = subprocess.run(
        ['sh', '-n', str(ENTRYPOINT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
