#!/usr/bin/env python3
# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Build the Sales Ops demo database: activate the modules with trytond-admin,
then load realistic demo data through Tryton's API (proteus), so that the
data stays valid as the models grow.  Running it on a database that already
holds the demo only prints the demo users."""
import argparse
import contextlib
import datetime as dt
import hashlib
import importlib
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

MODULES = ['sales_ops_policy', 'sales_ops_training', 'sales_ops_incentive']
# Each feature adds its demo in scripts/demo_<area>.py: load(ctx)
PARTS = [
    'demo_market', 'demo_lead', 'demo_followup', 'demo_negotiation',
    'demo_contract', 'demo_release', 'demo_collection', 'demo_customer',
    'demo_expense', 'demo_training', 'demo_incentive',
    'demo_analysis']
PASSWORD = 'SalesOps#2026'
# Tryton's own groups a role needs besides ours
EXTRA_GROUPS = {
    "Sales Ops Administrator": ["Administration", "Employee Administration"],
    # bank statements, payments and the dunning run (P3.5.2); the customers'
    # credit limits (P4.3.2)
    "Finance": ["Payment", "Dunning", "Account Credit Limit"],
    }
COMPANY = "Jade River Industrial Co., Ltd."

# login, name, role group, team code (None: outside the teams)
MANAGER = ('manager', "Wang Wei", "Sales Manager", None)
TEAMS = [
    ('E', "East China", ('supervisor', "Li Na"), [
            ('salesperson', "Zhang Wei"), ('liu.fang', "Liu Fang"),
            ('chen.jing', "Chen Jing"), ('yang.lei', "Yang Lei")]),
    ('N', "North China", ('zhao.min', "Zhao Min"), [
            ('huang.tao', "Huang Tao"), ('zhou.yan', "Zhou Yan"),
            ('wu.hao', "Wu Hao"), ('xu.li', "Xu Li")]),
    ('S', "South China", ('sun.jie', "Sun Jie"), [
            ('hu.bin', "Hu Bin"), ('guo.xia', "Guo Xia"),
            ('he.qiang', "He Qiang"), ('lin.mei', "Lin Mei")]),
    ]
STAFF = [
    ('signatory', "Ma Hui", "Authorised Signatory"),
    ('legal', "Luo Qing", "Legal Reviewer"),
    ('finance', "Gao Ping", "Finance"),
    ('opsadmin', "Zheng Kai", "Sales Ops Administrator"),
    ]
PRODUCTS = [
    ("Hydraulic Pump HP-200", 'goods', Decimal('12800')),
    ("Servo Motor SM-750", 'goods', Decimal('4650')),
    ("PLC Controller C-16", 'goods', Decimal('3980')),
    ("Industrial Sensor Kit", 'goods', Decimal('1260')),
    ("Conveyor Belt Module 2m", 'goods', Decimal('8900')),
    ("Installation and Commissioning", 'service', Decimal('6000')),
    ("Annual Maintenance Contract", 'service', Decimal('18000')),
    ("Operator Training Day", 'service', Decimal('3200')),
    ]
CITIES = [
    ("Shanghai", 'E'), ("Hangzhou", 'E'), ("Nanjing", 'E'), ("Suzhou", 'E'),
    ("Beijing", 'N'), ("Tianjin", 'N'), ("Jinan", 'N'), ("Shenyang", 'N'),
    ("Guangzhou", 'S'), ("Shenzhen", 'S'), ("Xiamen", 'S'), ("Foshan", 'S'),
    ]
# the provinces and municipalities of the cities (ISO 3166-2:CN), the
# regions of the market sizes
PROVINCES = {
    'CN-SH': ("Shanghai", 'municipality', ["Shanghai"]),
    'CN-ZJ': ("Zhejiang", 'province', ["Hangzhou"]),
    'CN-JS': ("Jiangsu", 'province', ["Nanjing", "Suzhou"]),
    'CN-BJ': ("Beijing", 'municipality', ["Beijing"]),
    'CN-TJ': ("Tianjin", 'municipality', ["Tianjin"]),
    'CN-SD': ("Shandong", 'province', ["Jinan"]),
    'CN-LN': ("Liaoning", 'province', ["Shenyang"]),
    'CN-GD': ("Guangdong", 'province', ["Guangzhou", "Shenzhen", "Foshan"]),
    'CN-FJ': ("Fujian", 'province', ["Xiamen"]),
    }
NAME_PARTS = [
    "Everbright", "Golden Bridge", "Harmony", "Great Wall", "Pearl River",
    "Red Maple", "Silver Lake", "Blue Ocean", "Summit", "Orient",
    "Lotus", "Phoenix", "Evergreen", "Sunrise", "Jade Mountain",
    "Yangtze", "Crystal", "Unity", "Bamboo", "Rising Star", "Longwei",
    "Tianhe", "Fortune", "Heng Tai", "Zhongxin",
    ]
INDUSTRIES = [
    "Machinery", "Packaging", "Food Processing", "Auto Parts", "Textiles",
    "Electronics", "Logistics", "Chemicals", "Building Materials",
    "Pharmaceuticals",
    ]
STREETS = ["Renmin", "Jiefang", "Zhongshan", "Nanjing", "Huaihai"]
CONTACTS = [
    "Mr. Qian", "Ms. Feng", "Mr. Tang", "Ms. Deng", "Mr. Cao", "Ms. Peng",
    "Mr. Xiao", "Ms. Tian", "Mr. Dong", "Ms. Yuan", "Mr. Pan", "Ms. Jiang",
    ]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('-c', '--config', required=True,
        help="trytond configuration file")
    parser.add_argument('-d', '--database', required=True)
    return parser.parse_args(argv)


def backend_name():
    from trytond import backend
    return backend.name


def database_exists(database):
    from trytond import backend
    return database in backend.Database().list()


def modules_digest():
    "Digest of the Sales Ops module files, to tell when a database is stale"
    digest = hashlib.sha256()
    addons = Path(__file__).resolve().parent.parent / 'addons'
    for path in sorted(addons.glob('sales_ops_*/**/*')):
        if path.is_file() and path.suffix in {'.cfg', '.py', '.xml', '.po'}:
            digest.update(str(path.relative_to(addons)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def stamp_path(database):
    from trytond import config
    return Path(config.get('database', 'path')) / f'{database}.modules'


def run_admin(config_file, database, *options):
    with tempfile.NamedTemporaryFile('w', suffix='.pass') as passfile:
        passfile.write(PASSWORD)
        passfile.flush()
        env = dict(os.environ, TRYTONPASSFILE=passfile.name)
        subprocess.run([
                os.path.join(os.path.dirname(sys.executable), 'trytond-admin'),
                '-c', config_file, '-d', database,
                '-u', *MODULES, '--activate-dependencies', *options,
                ], env=env, check=True)
    path = stamp_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(modules_digest())


def update_database(config_file, database):
    "Update the modules of a database built from older module files"
    path = stamp_path(database)
    if path.exists() and path.read_text() == modules_digest():
        return
    print(f"Updating the modules of {database!r}...")
    run_admin(config_file, database)


def create_database(config_file, database):
    "Create the database and activate the modules with trytond-admin"
    from trytond import backend, config
    if backend.name == 'sqlite':
        path = config.get('database', 'path')
        os.makedirs(path, exist_ok=True)
        open(os.path.join(path, database + '.sqlite'), 'a').close()
    else:
        on_server('create', database)
    run_admin(config_file, database,
        '--all', '-l', 'zh_CN', '--email', 'admin@example.com')


def drop_database(database):
    "Remove a database whose build failed, so that the next run starts clean"
    from trytond import backend, config
    from trytond.pool import Pool
    Pool.stop(database)
    backend.Database(database).close()
    stamp_path(database).unlink(missing_ok=True)
    if backend.name == 'sqlite':
        os.remove(os.path.join(
                config.get('database', 'path'), database + '.sqlite'))
    else:
        on_server('drop', database)


def keep_open(database):
    """On SQLite, a connection held open for the load: trytond opens one per
    transaction, and each time the last one closes SQLite checkpoints its
    write-ahead log, which the next one opens again (a fifth of the load)"""
    from trytond import backend, config
    if backend.name != 'sqlite':
        return contextlib.nullcontext()
    connection = sqlite3.connect(os.path.join(
            config.get('database', 'path'), database + '.sqlite'))
    # a read maps the log's index, which the connection then keeps
    connection.execute('SELECT 1 FROM sqlite_master').fetchall()
    return contextlib.closing(connection)


def on_server(method, database):
    "Create or drop a database on the PostgreSQL server"
    from trytond import backend
    db = backend.Database()
    db.connect()
    connection = db.get_connection(autocommit=True)
    try:
        getattr(db, method)(connection, database)
    finally:
        db.put_connection(connection)


def is_loaded():
    from proteus import Model
    return bool(Model.get('company.company').find([]))


def load(today=None):
    "Load the demo data; returns nothing, prints nothing"
    from proteus import Model
    from proteus.config import get_config

    from trytond.modules.account.tests.tools import (
        create_chart, create_fiscalyear, create_tax, get_accounts)
    from trytond.modules.account_invoice.tests.tools import (
        set_fiscalyear_invoice_sequences)
    from trytond.modules.company.tests.tools import (
        create_company, get_company)

    rng = random.Random(2026)
    today = today or dt.date.today()
    config = get_config()

    Currency = Model.get('currency.currency')
    Party = Model.get('party.party')
    currency = Currency(name="Chinese Yuan", code='CNY', symbol='¥')
    currency.rates.new(date=dt.date(today.year, 1, 1), rate=Decimal(1))
    currency.save()
    china, subdivision_of = _country()
    company_party = Party(name=COMPANY)
    company_party.addresses[0].street = "88 Century Avenue"
    company_party.addresses[0].city = "Shanghai"
    company_party.addresses[0].country = china
    company_party.addresses[0].subdivision = subdivision_of["Shanghai"]
    company_party.save()
    create_company(party=company_party, currency=currency)
    company = get_company()
    company.timezone = 'Asia/Shanghai'
    company.save()

    # Accounting: chart, fiscal year with periods, tax, payment terms
    create_chart(company)
    fiscalyear = set_fiscalyear_invoice_sequences(
        create_fiscalyear(company, today=today))
    fiscalyear.click('create_period')
    accounts = get_accounts(company)
    vat = create_tax(Decimal('0.13'), company)
    vat.name = vat.description = "VAT 13%"
    vat.save()

    PaymentTerm = Model.get('account.invoice.payment_term')
    terms = {}
    # each line names the stage of the collection plans it becomes
    for name, lines in [
            ("Net 30 days", [('remainder', None, 30, 'delivery')]),
            ("30% advance, balance at 60 days", [
                    ('percent', Decimal('0.3'), 0, 'advance'),
                    ('remainder', None, 60, 'acceptance')]),
            ("Cash on delivery", [('remainder', None, 0, 'delivery')]),
            ]:
        term = PaymentTerm(name=name)
        for type_, ratio, days, stage in lines:
            line = term.lines.new(type=type_, collection_stage=stage)
            if ratio is not None:
                line.ratio = ratio
            if days:
                line.relativedeltas.new(days=days)
        term.save()
        terms[name] = term

    # Products
    Category = Model.get('product.category')
    Uom = Model.get('product.uom')
    Template = Model.get('product.template')
    category = Category(name="Industrial Equipment", accounting=True)
    category.account_revenue = accounts['revenue']
    category.account_expense = accounts['expense']
    category.customer_taxes.append(vat)
    category.save()
    unit, = Uom.find([('name', '=', "Unit")])
    products = []
    for name, type_, price in PRODUCTS:
        template = Template(
            name=name, type=type_, default_uom=unit, salable=True,
            list_price=price, account_category=category)
        template.save()
        products.append(template.products[0])

    # People: employees, sales teams, users per role
    Employee = Model.get('company.employee')
    Team = Model.get('sale.team')
    User = Model.get('res.user')
    Group = Model.get('res.group')
    groups = {g.name: g for g in Group.find([])}
    hired = today.replace(year=today.year - 3, month=1, day=1)

    people = [(MANAGER[0], MANAGER[1], MANAGER[2])]
    for _, _, (login, name), salespeople in TEAMS:
        people.append((login, name, "Sales Supervisor"))
        people.extend((l, n, "Salesperson") for l, n in salespeople)
    people.extend(STAFF)
    employee_parties = [Party(name=name) for _, name, _ in people]
    Party.save(employee_parties)
    employees = [
        Employee(party=party, company=company, start_date=hired)
        for party in employee_parties]
    Employee.save(employees)
    employee_of = {login: e for (login, _, _), e in zip(people, employees)}

    manager = employee_of[MANAGER[0]]
    teams = {}
    for code, name, (sup_login, _), salespeople in TEAMS:
        team = Team(name=name, code=code, manager=manager, start_date=hired)
        team.supervisors.append(Employee(employee_of[sup_login].id))
        for login, _ in salespeople:
            team.members.new(employee=employee_of[login], start_date=hired)
        team.save()
        teams[code] = team
    # supervisors report to their team's manager, salespeople to supervisors
    for code, _, (sup_login, _), salespeople in TEAMS:
        supervisor = employee_of[sup_login]
        supervisor.supervisor = manager
        for login, _ in salespeople:
            employee_of[login].supervisor = supervisor
    Employee.save(employees)

    users = []
    for login, name, role in people:
        employee = Employee(employee_of[login].id)
        user = User(login=login, name=name, password=PASSWORD,
            email=f'{login}@jaderiver.example.com')
        user.groups.append(Group(groups[role].id))
        for extra in EXTRA_GROUPS.get(role, []):
            user.groups.append(Group(groups[extra].id))
        user.companies.append(Model.get('company.company')(company.id))
        user.company = company
        user.employees.append(employee)
        user.employee = employee
        users.append(user)
    User.save(users)

    # Customers with their contacts
    customers = []
    names = rng.sample(
        [f"{p} {i}" for p in NAME_PARTS for i in INDUSTRIES], 50)
    for index, name in enumerate(names):
        city, region = CITIES[index % len(CITIES)]
        party = Party(name=f"{name} Co., Ltd.")
        address = party.addresses[0]
        address.street = f"{rng.randint(1, 999)} {rng.choice(STREETS)} Road"
        address.city = city
        address.country = china
        address.subdivision = subdivision_of[city]
        address.postal_code = f"{rng.randint(100000, 999999)}"
        contact = rng.choice(CONTACTS)
        slug = name.lower().replace(' ', '')
        party.contact_mechanisms.new(
            type='phone', value=f"+86 {rng.randint(130, 189)} "
            f"{rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
            name=contact)
        party.contact_mechanisms.new(
            type='email', value=f"purchasing@{slug}.example.com",
            name=contact)
        party.customer_payment_term = terms[rng.choice(list(terms))]
        customers.append((party, region))
    Party.save([p for p, _ in customers])

    # Each salesperson's pipeline and orders: the team rules show the split
    Opportunity = Model.get('sale.opportunity')
    Sale = Model.get('sale.sale')
    opportunities, sales = [], []
    for code, _, _, salespeople in TEAMS:
        region_customers = [p for p, r in customers if r == code]
        for login, _ in salespeople:
            employee = employee_of[login]
            for n in range(3):
                customer = rng.choice(region_customers)
                product = rng.choice(products)
                quantity = rng.randint(1, 8)
                opportunity = Opportunity(
                    party=customer, employee=employee,
                    description=f"{product.template.name} for "
                    f"{customer.name.split(' Co.')[0]}",
                    start_date=today - dt.timedelta(days=rng.randint(5, 90)),
                    conversion_probability=rng.choice(
                        [0.1, 0.3, 0.5, 0.7]),
                    amount=product.template.list_price * quantity)
                line = opportunity.lines.new(product=product)
                line.quantity = quantity
                opportunities.append(opportunity)
            customer = rng.choice(region_customers)
            sale = Sale(party=customer, employee=employee,
                description="Spare parts order")
            for product in rng.sample(products, 2):
                line = sale.lines.new(product=product)
                line.quantity = rng.randint(1, 5)
            sales.append(sale)
    Opportunity.save(opportunities)
    Sale.save(sales)
    Sale.click(sales, 'quote')

    ctx = SimpleNamespace(
        config=config, today=today, rng=rng, company=company,
        currency=currency, accounts=accounts, payment_terms=terms,
        products=products, employees=employee_of, teams=teams,
        salespeople=[(code, login) for code, _, _, members in TEAMS
            for login, _ in members],
        team_members={code: [login for login, _ in members]
            for code, _, _, members in TEAMS},
        supervisors={code: sup for code, _, (sup, _), _ in TEAMS},
        manager=MANAGER[0], customers=customers,
        opportunities=opportunities, sales=sales,
        as_user=user_switch(config))
    for part in PARTS:
        start = time.monotonic()
        if part == 'demo_negotiation':
            # past the lead stage once they have a channel and a follow-up
            Opportunity.click(opportunities[::3], 'opportunity')
        importlib.import_module(part).load(ctx)
        print(f"  {part}: {time.monotonic() - start:.0f} s", flush=True)

    # The first login must not open the module configuration wizard
    Item = Model.get('ir.module.config_wizard.item')
    items = Item.find([('state', '!=', 'done')])
    for item in items:
        item.state = 'done'
    Item.save(items)
    del config


def _country():
    "China with the provinces of the demo; {city: subdivision}"
    from proteus import Model
    Country = Model.get('country.country')
    china = Country(name="China", code='CN', code3='CHN', code_numeric='156')
    for code, (name, type_, _) in PROVINCES.items():
        china.subdivisions.new(name=name, code=code, type=type_)
    china.save()
    by_code = {s.code: s for s in china.subdivisions}
    return china, {city: by_code[code]
        for code, (_, _, cities) in PROVINCES.items() for city in cities}


def user_switch(config):
    """A function that makes the demo work as the user of a login, as the
    administrator without one"""
    from proteus import Model

    from trytond.tests.tools import set_user

    User = Model.get('res.user')
    admin, context = config.user, config._context
    users = {}

    def as_user(login=None):
        if login:
            if login not in users:
                users.update((u.login, u) for u in User.find([]))
            set_user(users[login], config=config)
        else:
            config.user, config._context = admin, context
    return as_user


def print_users():
    from demo_incentive import DIRECTOR
    rows = [("Sales Director", *DIRECTOR),
        ("Sales Manager", MANAGER[0], MANAGER[1])]
    (_, team, (sup, sup_name), salespeople) = TEAMS[0]
    rows.append(("Sales Supervisor", sup, f"{sup_name} ({team})"))
    rows.append(("Salesperson", salespeople[0][0],
            f"{salespeople[0][1]} ({team})"))
    rows.extend((role, login, name) for login, name, role in STAFF)
    rows.append(("Tryton administrator", 'admin', "all rights"))
    print("Demo users (password for all: %s):" % PASSWORD)
    for role, login, name in rows:
        print(f"  {role:<24} {login:<12} {name}")
    print("  Other salespeople log in with their name, e.g. liu.fang, "
        "huang.tao; supervisors zhao.min, sun.jie.")


def main(argv=None):
    args = parse_args(argv)
    from trytond import config as tconfig
    tconfig.update_etc(args.config)
    created = not database_exists(args.database)
    try:
        if created:
            create_database(args.config, args.database)
        else:
            update_database(args.config, args.database)
        from proteus import config as pconfig
        pconfig.set_trytond(args.database, config_file=args.config)
        if not is_loaded():
            with keep_open(args.database):
                load()
            print(f"Demo data loaded into {args.database!r} "
                f"({backend_name()}).")
    except BaseException:
        if created and database_exists(args.database):
            drop_database(args.database)
        raise
    print_users()


if __name__ == '__main__':
    main()
