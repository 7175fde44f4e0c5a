#!/usr/bin/env python3
# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Load: concurrent salespeople on the JSON-RPC of trytond served by
several worker processes on PostgreSQL (issue 11).

Builds a throwaway PostgreSQL database with sales_ops_policy, a company,
--salespeople salespeople (each a user with a password, in two teams),
their customers with an address, opportunities and a service product; then
serves it with gunicorn (--workers processes of `trytond.application:app`,
with assertions off) on a free loopback port, and runs --clients clients,
each logged in as a salesperson, for --seconds seconds.  Each client repeats
the salesperson's daily mix: read the pipeline (opportunities, 80 rows), read
the customers (80 rows), log a follow-up, create a quotation (a draft order
with one line, then Quote).  It prints the requests per second, the p50,
p95 and p99 latency per kind and in all, the errors (they must be 0), and
checks afterwards, in the database, that every follow-up and quotation whose
creation was acknowledged is there, with the content the client sent.

    PYTHONOPTIMIZE=1 .venv/bin/python bench/load.py
    PYTHONOPTIMIZE=1 .venv/bin/python bench/load.py --clients 5 --seconds 10

The database is dropped at the end.  Figures: bench/README.md.
"""
import argparse
import base64
import datetime as dt
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from common import conclude, retried, throwaway_database

PASSWORD = 'load-bench-2026'
# the daily mix: kind, weight
MIX = [
    ('read_pipeline', 40),
    ('read_customers', 25),
    ('log_followup', 20),
    ('create_quotation', 15),
    ]
CUSTOMERS_PER_SALESPERSON = 10


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clients', type=int, default=20,
        help="concurrent clients (default: %(default)s)")
    parser.add_argument('--seconds', type=float, default=60,
        help="how long the clients run (default: %(default)s)")
    parser.add_argument('--workers', type=int, default=4,
        help="server processes (default: %(default)s)")
    parser.add_argument('--salespeople', type=int, default=20,
        help="salespeople, one user each (default: %(default)s)")
    return parser.parse_args(argv)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def make_data(salespeople):
    """The company, the salespeople with their users, teams, customers and
    opportunities, a service product; {login: {customers, product, unit}}"""
    from trytond.modules.company.tests import create_company, set_company

    company = create_company()
    with set_company(company):
        return _make_data(company, salespeople)


def _make_data(company, salespeople):
    from trytond.modules.company.tests import create_employee
    from trytond.pool import Pool

    pool = Pool()
    Party = pool.get('party.party')
    Opportunity = pool.get('sale.opportunity')
    Team = pool.get('sale.team')
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    User = pool.get('res.user')
    Group = pool.get('res.group')

    unit, = Uom.search([('name', '=', "Unit")])
    template, = Template.create([{
                'name': "Maintenance Visit", 'type': 'service',
                'default_uom': unit.id, 'salable': True,
                'sale_uom': unit.id, 'list_price': Decimal(300),
                'products': [('create', [{}])],
                }])
    product, = template.products
    group, = Group.search([('name', '=', "Salesperson")])
    supervisor_group, = Group.search([('name', '=', "Sales Supervisor")])
    supervisors = [create_employee(company, f"Supervisor {t}")
        for t in "AB"]
    employees = [create_employee(company, f"Salesperson {i:02d}")
        for i in range(salespeople)]
    Team.create([{
                'name': f"Team {t}", 'company': company.id,
                'supervisors': [('add', [supervisors[i].id])],
                'members': [('create', [{'employee': e.id}
                            for e in employees[i::2]])],
                } for i, t in enumerate("AB")])
    logins = {}
    users = []
    for i, employee in enumerate(supervisors + employees):
        login = f'sup{i}' if i < 2 else f'sp{i - 2:02d}'
        users.append({
                'login': login, 'name': employee.rec_name,
                'password': PASSWORD,
                'groups': [('add', [
                            (supervisor_group if i < 2 else group).id])],
                'companies': [('add', [company.id])],
                'company': company.id,
                'employees': [('add', [employee.id])],
                'employee': employee.id,
                })
        logins[login] = employee
    User.create(users)
    rng = random.Random(11)
    data = {}
    for login, employee in logins.items():
        if login.startswith('sup'):
            continue
        customers = Party.create([{
                    'name': f"Customer {login}-{c}", 'owner': employee.id,
                    'addresses': [('create', [{'city': "Suzhou"}])],
                    } for c in range(CUSTOMERS_PER_SALESPERSON)])
        Opportunity.create([{
                    'party': c.id, 'company': company.id,
                    'employee': employee.id,
                    'description': f"Maintenance plan {c.name}",
                    'amount': Decimal(rng.randrange(1000, 50000)),
                    'start_date': dt.date.today(),
                    } for c in customers])
        data[login] = {
            'customers': [(c.id, c.addresses[0].id) for c in customers],
            'product': product.id,
            'unit': unit.id,
            }
    return data


class Client(threading.Thread):
    "A salesperson doing the daily mix over one keep-alive connection"

    def __init__(self, port, database, login, data, until, seed):
        super().__init__(daemon=True)
        self.port, self.database, self.login = port, database, login
        self.data, self.until = data, until
        self.rng = random.Random(seed)
        self.latencies = defaultdict(list)
        self.errors = []
        self.written = []  # (model, id, marker)
        self.session = None
        self.context = {}
        self.count = 0

    def call(self, method, params):
        "The result of the JSON-RPC call, or raise with the error"
        body = json.dumps({'id': 1, 'method': method, 'params': params},
            default=str)
        headers = {'Content-Type': 'application/json'}
        if self.session:
            headers['Authorization'] = 'Session ' + base64.b64encode(
                self.session.encode()).decode()
        for attempt in range(2):
            try:
                self.connection.request(
                    'POST', f'/{self.database}/rpc/', body, headers)
                response = self.connection.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, OSError):
                # the worker closed the kept-alive connection
                self.connection.close()
                self.connection = http.client.HTTPConnection(
                    '127.0.0.1', self.port, timeout=120)
                if attempt:
                    raise
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {payload[:200]!r}")
        reply = json.loads(payload)
        if reply.get('error'):
            raise RuntimeError(str(reply['error'])[:300])
        return reply['result']

    def run(self):
        self.connection = http.client.HTTPConnection(
            '127.0.0.1', self.port, timeout=120)
        try:
            user_id, token = self.call('common.db.login', [
                    self.login, {'password': PASSWORD}, 'en'])[:2]
            self.session = f'{self.login}:{user_id}:{token}'
            self.context = self.call(
                'model.res.user.get_preferences', [True, {}])
        except Exception as exception:
            self.errors.append(('login', repr(exception)))
            return
        kinds = [k for k, _ in MIX]
        weights = [w for _, w in MIX]
        while time.monotonic() < self.until:
            kind = self.rng.choices(kinds, weights)[0]
            start = time.perf_counter()
            try:
                getattr(self, kind)()
            except Exception as exception:
                self.errors.append((kind, repr(exception)))
            else:
                self.latencies[kind].append(time.perf_counter() - start)
        self.connection.close()

    def read_pipeline(self):
        self.call('model.sale.opportunity.search_read', [
                [('state', 'in', ['lead', 'opportunity'])], 0, 80,
                [('amount', 'DESC')],
                ['party.rec_name', 'description', 'amount', 'state',
                    'employee.rec_name'], self.context])

    def read_customers(self):
        self.call('model.party.party.search_read', [
                [('owner', '!=', None)], 0, 80, None,
                ['name', 'owner.rec_name', 'customer_tier.rec_name'],
                self.context])

    def marker(self):
        self.count += 1
        return f"load {self.login} #{self.count}"

    def log_followup(self):
        party, _ = self.rng.choice(self.data['customers'])
        marker = self.marker()
        ids = self.call('model.sale.followup.create', [[{
                        'party': party,
                        'date': {'__class__': 'datetime',
                            **_parts(dt.datetime.now())},
                        'method': 'phone',
                        'content': marker,
                        'employee': self.context['employee'],
                        }], self.context])
        self.written.append(('sale.followup', ids[0], marker))

    def create_quotation(self):
        party, address = self.rng.choice(self.data['customers'])
        marker = self.marker()
        ids = self.call('model.sale.sale.create', [[{
                        'party': party,
                        'invoice_address': address,
                        'shipment_address': address,
                        'employee': self.context['employee'],
                        'description': marker,
                        'lines': [['create', [{
                                        'product': self.data['product'],
                                        'quantity': self.rng.randint(1, 5),
                                        'unit': self.data['unit'],
                                        'unit_price': {
                                            '__class__': 'Decimal',
                                            'decimal': '300'},
                                        }]]],
                        }], self.context])
        self.written.append(('sale.sale', ids[0], marker))
        self.call('model.sale.sale.quote', [ids, self.context])


def _parts(value):
    return {'year': value.year, 'month': value.month, 'day': value.day,
        'hour': value.hour, 'minute': value.minute, 'second': value.second,
        'microsecond': 0}


def serve(database, workers, port, directory):
    "Start gunicorn serving trytond on port; return its process"
    config = Path(directory) / 'trytond.conf'
    config.write_text(
        "[database]\n"
        f"uri = {os.environ['TRYTOND_DATABASE__URI']}\n")
    env = dict(os.environ, PYTHONOPTIMIZE='1',
        TRYTOND_CONFIG=str(config), TRYTOND_DATABASE_NAMES=database)
    env.pop('DB_NAME', None)
    gunicorn = shutil.which('gunicorn', path=str(Path(sys.executable).parent))
    if not gunicorn:
        sys.exit("gunicorn missing: make install")
    server = subprocess.Popen([gunicorn,
            '--workers', str(workers), '--bind', f'127.0.0.1:{port}',
            '--timeout', '120', '--keep-alive', '30', '--log-level', 'warning',
            'trytond.application:app'], env=env)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                sys.exit("gunicorn did not start")
            time.sleep(0.2)


def check_written(clients):
    """The failures: acknowledged writes missing from the database or with
    another content"""
    from sql.aggregate import Count

    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME
    from trytond.transaction import Transaction

    written = defaultdict(dict)
    for client in clients:
        for model, id_, marker in client.written:
            written[model][id_] = marker
    failures = []
    with Transaction().start(DB_NAME, 0, readonly=True):
        pool = Pool()
        for model, field in [
                ('sale.followup', 'content'), ('sale.sale', 'description')]:
            Model = pool.get(model)
            table = Model.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.select(table.id, getattr(table, field),
                    where=getattr(table, field).like('load %')))
            found = dict(cursor)
            for id_, marker in written[model].items():
                if found.get(id_) != marker:
                    failures.append(f"{model},{id_} acknowledged "
                        f"({marker!r}) but {found.get(id_)!r} in the database")
            print(f"  {model}: {len(written[model])} acknowledged, "
                f"{len(found)} in the database")
        sale = pool.get('sale.sale').__table__()
        cursor.execute(*sale.select(sale.state, Count(sale.id),
                where=sale.description.like('load %'),
                group_by=[sale.state]))
        print(f"  quotations by state: {dict(cursor)}")
    return failures


def percentile(values, fraction):
    if not values:
        return float('nan')
    values = sorted(values)
    return values[min(len(values) - 1, int(fraction * len(values)))]


def report(clients, seconds):
    latencies = defaultdict(list)
    errors = []
    for client in clients:
        for kind, values in client.latencies.items():
            latencies[kind].extend(values)
        errors.extend(client.errors)
    everything = [v for values in latencies.values() for v in values]
    print(f"{'kind':<18} {'requests':>8} {'per s':>7} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8}")
    for kind, values in [*sorted(latencies.items()), ('all', everything)]:
        print(f"{kind:<18} {len(values):>8} {len(values) / seconds:>7.1f} "
            f"{percentile(values, .5) * 1000:>8.0f} "
            f"{percentile(values, .95) * 1000:>8.0f} "
            f"{percentile(values, .99) * 1000:>8.0f}")
    print(f"errors: {len(errors)}")
    for kind, error in errors[:10]:
        print(f"  {kind}: {error}")
    if everything:
        print(f"mean latency {statistics.mean(everything) * 1000:.0f} ms")
    return errors


def main(argv=None):
    args = parse_args(argv)
    with throwaway_database('sales_ops_policy', 'bench_load', False,
            'sales-ops-load-', test_pool=False) as database, \
            tempfile.TemporaryDirectory(prefix='sales-ops-load-') as tmp:
        start = time.perf_counter()
        data = retried(make_data, args.salespeople)
        print(f"Data: {args.salespeople} salespeople, "
            f"{args.salespeople * CUSTOMERS_PER_SALESPERSON} customers "
            f"({time.perf_counter() - start:.0f} s)", flush=True)
        port = free_port()
        server = serve(database, args.workers, port, tmp)
        try:
            logins = sorted(data)
            until = time.monotonic() + args.seconds
            clients = [Client(port, database, logins[i % len(logins)],
                    data[logins[i % len(logins)]], until, i)
                for i in range(args.clients)]
            print(f"{args.clients} clients for {args.seconds:.0f} s on "
                f"{args.workers} gunicorn workers...", flush=True)
            begin = time.monotonic()
            for client in clients:
                client.start()
            for client in clients:
                client.join()
            elapsed = time.monotonic() - begin
        finally:
            server.terminate()
            server.wait(timeout=60)
        errors = report(clients, elapsed)
        print("Check of the acknowledged writes:")
        failures = check_written(clients)
        failures.extend(f"{kind}: {error}" for kind, error in errors)
        return conclude(failures, "every acknowledged write is in the "
            "database, no error")


if __name__ == '__main__':
    sys.exit(main())
