# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Smoke test of `make run`: build a fresh demo database with the same
script, start trytond on a free loopback port, log in over JSON-RPC as the
demo salesperson and fetch the web client's index page."""
import unittest

import pytest

from demo_server import PASSWORD, demo_server

pytestmark = pytest.mark.demo


class ServerSmokeTestCase(unittest.TestCase):
    "Start the demo server and use it as the web client does"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = demo_server()

    def rpc(self, method, params, session=None, expected=200):
        status, reply = self.server.rpc(method, params, session)
        self.assertEqual(status, expected, reply)
        return reply if status == 200 else None

    def test_login_as_salesperson(self):
        "The demo salesperson logs in and sees only their opportunities"
        reply = self.rpc('common.db.login', [
                'salesperson', {'password': PASSWORD}, 'en'])
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
        status, body = self.server.request('GET', '/')
        self.assertEqual(status, 200)
        self.assertIn(b'sao', body.lower())
