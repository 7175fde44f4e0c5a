# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Smoke test of `make run`: build a fresh demo database with the same
script, start trytond on a free loopback port, log in over JSON-RPC as the
demo salesperson and fetch the web client's index page."""
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
import unittest
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAO = ROOT / 'var' / 'sao' / 'package'
sys.path.insert(0, str(ROOT / 'scripts'))
import demo  # noqa: E402


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class ServerSmokeTestCase(unittest.TestCase):
    "Start the demo server and use it as the web client does"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = Path(tempfile.mkdtemp(prefix='sales-ops-smoke-'))
        cls.port = free_port()
        cls.database = 'smoke_' + uuid.uuid4().hex[:8]
        uri = os.environ.get('TRYTOND_DATABASE__URI', 'sqlite://')
        cls.postgresql = uri.startswith('postgresql')
        cls.config = cls.tmp / 'trytond.conf'
        cls.config.write_text(
            "[database]\n"
            f"uri = {uri}\n"
            f"path = {cls.tmp}\n"
            "[web]\n"
            f"listen = 127.0.0.1:{cls.port}\n"
            f"root = {SAO}\n")
        env = cls.env = dict(os.environ, PYTHONOPTIMIZE='1')
        for name in ['TRYTOND_DATABASE__URI', 'TRYTOND_DATABASE__PATH',
                'TRYTOND_WEB__ROOT', 'TRYTOND_WEB__LISTEN', 'DB_NAME']:
            env.pop(name, None)
        bin_ = Path(sys.executable).parent
        subprocess.run([
                sys.executable, str(ROOT / 'scripts' / 'demo.py'),
                '-c', str(cls.config), '-d', cls.database],
            env=env, check=True, stdout=subprocess.DEVNULL)
        cls.server = subprocess.Popen([
                str(bin_ / 'trytond'), '-c', str(cls.config),
                '-d', cls.database],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(
                    ('127.0.0.1', cls.port), timeout=1).close()
                break
            except OSError:
                if cls.server.poll() is not None or (
                        time.monotonic() > deadline):
                    cls.tearDownClass()
                    raise RuntimeError("trytond did not start")
                time.sleep(0.2)

    @classmethod
    def tearDownClass(cls):
        server = getattr(cls, 'server', None)
        if server and server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        if cls.postgresql:
            subprocess.run(['dropdb', '--if-exists', cls.database],
                check=False, env=cls.env)
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection(
            '127.0.0.1', self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def rpc(self, method, params, session=None, expected=200):
        headers = {'Content-Type': 'application/json'}
        if session:
            headers['Authorization'] = 'Session ' + base64.b64encode(
                session.encode()).decode()
        status, body = self.request(
            'POST', f'/{self.database}/rpc/',
            json.dumps({'id': 1, 'method': method, 'params': params}),
            headers)
        self.assertEqual(status, expected, body)
        return json.loads(body) if status == 200 else None

    def test_login_as_salesperson(self):
        "The demo salesperson logs in and sees only their opportunities"
        reply = self.rpc('common.db.login', [
                'salesperson', {'password': demo.PASSWORD}, 'en'])
        self.assertNotIn('error', reply)
        user_id, token = reply['result'][:2]
        session = f'salesperson:{user_id}:{token}'
        reply = self.rpc('model.sale.opportunity.search_read', [
                [], 0, None, None, ['employee.rec_name'], {}], session)
        self.assertNotIn('error', reply)
        names = {r['employee.']['rec_name'] for r in reply['result']}
        self.assertEqual(names, {"Zhang Wei"})

    def test_wrong_password_refused(self):
        "A wrong password does not open a session"
        self.rpc('common.db.login', [
                'salesperson', {'password': 'wrong password'}, 'en'],
            expected=401)

    def test_web_client_index(self):
        "The web client's index page is served"
        status, body = self.request('GET', '/')
        self.assertEqual(status, 200)
        self.assertIn(b'sao', body.lower())
