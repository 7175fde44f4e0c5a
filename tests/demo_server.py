# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The demo of `make run` for the tests that use it as its users do: a fresh
demo database built by the same script and trytond serving it with the web
client on a free loopback port, once per test process and stopped when
the process ends.  The build takes minutes: it starts in the background as
soon as pytest has collected a test that needs it (conftest.py)."""
import atexit
import base64
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAO = ROOT / 'var' / 'sao' / 'package'
sys.path.insert(0, str(ROOT / 'scripts'))
import demo  # noqa: E402

PASSWORD = demo.PASSWORD
_server = None


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class DemoServer:
    "A demo database served by trytond with the web client"
    password = PASSWORD

    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix='sales-ops-demo-'))
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.database = 'demo_' + uuid.uuid4().hex[:8]
        uri = os.environ.get('TRYTOND_DATABASE__URI', 'sqlite://')
        self.postgresql = uri.startswith('postgresql')
        self.process = None
        self.failure = None
        self.sessions = {}
        config = self.tmp / 'trytond.conf'
        config.write_text(
            "[database]\n"
            f"uri = {uri}\n"
            f"path = {self.tmp}\n"
            "[web]\n"
            f"listen = 127.0.0.1:{self.port}\n"
            f"root = {SAO}\n")
        self.config = config
        env = self.env = dict(os.environ, PYTHONOPTIMIZE='1')
        for name in ['TRYTOND_DATABASE__URI', 'TRYTOND_DATABASE__PATH',
                'TRYTOND_WEB__ROOT', 'TRYTOND_WEB__LISTEN', 'DB_NAME']:
            env.pop(name, None)
        # the build runs beside the tests collected before the ones that
        # serve it: minutes of a second core otherwise idle
        self.build_log = self.tmp / 'demo.log'
        with open(self.build_log, 'wb') as log:
            self.build = subprocess.Popen([
                    sys.executable, str(ROOT / 'scripts' / 'demo.py'),
                    '-c', str(config), '-d', self.database],
                env=env, stdout=log, stderr=subprocess.STDOUT)

    def start(self):
        "Wait for the demo build and serve it"
        if self.process:
            return
        if self.failure:
            raise RuntimeError(self.failure)
        try:
            if self.build.wait():
                self.failure = "The demo build failed:\n" + (
                    self.build_log.read_text(errors='replace')[-4000:])
                raise RuntimeError(self.failure)
            # a file, not a pipe: nobody reads a pipe, whose full buffer
            # would stop the server after a few hundred logged requests
            self.log = open(self.tmp / 'trytond.log', 'wb')
            self.process = subprocess.Popen([
                    str(Path(sys.executable).parent / 'trytond'),
                    '-c', str(self.config), '-d', self.database],
                env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
            self._wait()
        except BaseException:
            self.stop()
            raise

    def _wait(self):
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(
                    ('127.0.0.1', self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or (
                        time.monotonic() > deadline):
                    raise RuntimeError("trytond did not start")
                time.sleep(0.2)

    def request(self, method, path, body=None, headers=None):
        "The status and body of an HTTP request"
        connection = http.client.HTTPConnection(
            '127.0.0.1', self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def rpc(self, method, params, session=None):
        "The HTTP status and decoded reply of a JSON-RPC call"
        headers = {'Content-Type': 'application/json'}
        if session:
            headers['Authorization'] = 'Session ' + base64.b64encode(
                session.encode()).decode()
        status, body = self.request(
            'POST', f'/{self.database}/rpc/',
            json.dumps({'id': 1, 'method': method, 'params': params}),
            headers)
        return status, json.loads(body) if status == 200 else body

    def login(self, login):
        "The session of a demo user for rpc(), opened once per user"
        if login in self.sessions:
            return self.sessions[login]
        status, reply = self.rpc(
            'common.db.login', [login, {'password': PASSWORD}, 'en'])
        if status != 200 or 'error' in reply:
            raise RuntimeError(f"{login} cannot log in: {reply}")
        user_id, token = reply['result'][:2]
        self.sessions[login] = f'{login}:{user_id}:{token}'
        return self.sessions[login]

    def call(self, session, method, *params):
        "The result of a JSON-RPC call that must succeed"
        status, reply = self.rpc(method, list(params), session)
        if status != 200 or 'error' in reply:
            raise RuntimeError(f"{method}: {status} {reply}")
        return reply['result']

    def stop(self):
        if self.build.poll() is None:
            self.build.terminate()
            self.build.wait(timeout=30)
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None
        if getattr(self, 'log', None):
            self.log.close()
        if self.postgresql:
            subprocess.run(['dropdb', '--if-exists', self.database],
                check=False, env=self.env)
        shutil.rmtree(self.tmp, ignore_errors=True)


class RunningServer(DemoServer):
    "A demo already served, e.g. by `make run`: SALES_OPS_DEMO=<url>/<db>"

    def __init__(self, address):
        self.url, self.database = address.rstrip('/').rsplit('/', 1)
        self.port = int(self.url.rsplit(':', 1)[1])
        self.process = None
        self.sessions = {}

    def start(self):
        pass

    def stop(self):
        pass


def prepare():
    "Start building the demo of this test process, unless one is served"
    global _server
    if _server is None and os.environ.get('SALES_OPS_DEMO'):
        _server = RunningServer(os.environ['SALES_OPS_DEMO'])
    if _server is None:
        _server = DemoServer()
        atexit.register(_server.stop)
    return _server


def demo_server():
    "The demo server of this test process, built and started on first use"
    server = prepare()
    server.start()
    return server
