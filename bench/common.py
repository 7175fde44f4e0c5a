# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Helpers shared by the benchmark scripts of this folder.

A script imports them with `from common import ...`: Python puts the
script's folder first on sys.path.  trytond is imported inside the
functions because the database it uses is set in the environment first
(setup_environment) and read when trytond's test module is imported.
"""
import contextlib
import cProfile
import datetime as dt
import io
import os
import pstats
import statistics
import tempfile
import time
from decimal import Decimal

# rows per INSERT: a few hundred rows per statement stays under every
# backend's limit of parameters
BATCH = 500


def add_repeat_option(parser, runs='the read-only timings'):
    "Add --repeat: how many times runs are made, the median kept"
    parser.add_argument('--repeat', type=int, default=3,
        help=f"runs of {runs}, median kept (default: %(default)s)")


def add_sqlite_option(parser):
    "Add --sqlite: SQLite instead of the default PostgreSQL"
    parser.add_argument('--sqlite', action='store_true',
        help="use SQLite in a temporary directory instead of PostgreSQL")


def conclude(failures, agreed):
    """Print the failed checks, or agreed when none failed; return the exit
    status"""
    if failures:
        print('\n'.join(failures))
        return 1
    print(agreed)
    return 0


def add_keep_option(parser):
    "Add --keep: a PostgreSQL database kept after the run and reused"
    parser.add_argument('--keep', metavar='NAME',
        help="PostgreSQL database NAME, kept at the end; when it exists it "
        "is reused as built by an earlier run (drop it with dropdb)")


def setup_environment(sqlite, directory, name, keep=None):
    """Point trytond at a throwaway database called name (on PostgreSQL
    suffixed with the time, so that runs do not meet) or at the kept
    database keep; before importing trytond"""
    if sqlite:
        os.environ['TRYTOND_DATABASE__URI'] = 'sqlite://'
        os.environ['TRYTOND_DATABASE__PATH'] = directory
        os.environ['DB_NAME'] = name
    else:
        os.environ['TRYTOND_DATABASE__URI'] = 'postgresql:///'
        os.environ['DB_NAME'] = keep or f'{name}_{int(time.time())}'


@contextlib.contextmanager
def throwaway_database(module, name, sqlite, prefix, test_pool=True,
        keep=None):
    """Activate module in a new database name (SQLite in a temporary
    directory named with prefix, or PostgreSQL), printing how long it took;
    yield the database name and drop the database at the end.  With keep,
    the PostgreSQL database keep instead, not dropped: when it exists the
    module is only loaded"""
    if keep and sqlite:
        raise ValueError("a kept database is on PostgreSQL")
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        setup_environment(sqlite, directory, name, keep)
        from trytond.pool import Pool
        from trytond.tests.test_tryton import (
            DB_NAME, activate_module, drop_db)

        print(f"Activating {module} in {DB_NAME!r} "
            f"({'SQLite' if sqlite else 'PostgreSQL'})...",
            flush=True)
        start = time.perf_counter()
        activate_module([module])
        print(f"  {time.perf_counter() - start:.0f} s", flush=True)
        if not test_pool:
            # time what production runs: the test pool also validates the
            # Function fields of every record written
            Pool.test = False
        try:
            yield DB_NAME
        finally:
            if not keep:
                drop_db()


def median_time(function, repeat):
    "The median duration of repeat calls and the last result"
    durations = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations), result


def retried(function, *args):
    """Run function in a transaction of its own, started again with the
    tables it locks (as trytond's test decorator does)"""
    from trytond.tests.test_tryton import DB_NAME
    from trytond.transaction import Transaction, TransactionError
    extras = {}
    while True:
        try:
            # warnings skipped: templates may be dated in the past on
            # purpose
            with Transaction().start(DB_NAME, 1,
                    context={'_skip_warnings': True},
                    **extras) as transaction:
                result = function(*args)
                transaction.commit()
                return result
        except TransactionError as exception:
            exception.fix(extras)


def timed_retried(function, *args):
    """Run function with args as retried does; return its result and the
    seconds it took"""
    start = time.perf_counter()
    result = retried(function, *args)
    return result, time.perf_counter() - start


def analyze():
    "Refresh the planner statistics after the copy (PostgreSQL only)"
    from trytond import backend
    from trytond.transaction import Transaction
    if backend.name == 'postgresql':
        Transaction().connection.cursor().execute('ANALYZE')


def accumulate(values):
    "The running totals of values"
    total = 0
    for value in values:
        total += value
        yield total


def make_accounting(company, dates):
    "Chart, fiscal years with periods over dates, payment term and method"
    from trytond.modules.account.tests import create_chart, get_fiscalyear
    from trytond.modules.account_invoice.tests import set_invoice_sequences
    from trytond.pool import Pool

    pool = Pool()
    Account = pool.get('account.account')
    FiscalYear = pool.get('account.fiscalyear')
    Journal = pool.get('account.journal')
    PaymentMethod = pool.get('account.invoice.payment.method')
    PaymentTerm = pool.get('account.invoice.payment_term')

    create_chart(company)
    for year in sorted({d.year for d in dates}):
        fiscalyear = set_invoice_sequences(get_fiscalyear(
                company, today=dt.date(year, 1, 1)))
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
    cash, = Account.search([
            ('company', '=', company.id), ('code', '=', '1.1.1')])
    journal, = Journal.search([('type', '=', 'cash')], limit=1)
    method = PaymentMethod(
        name="Bank", company=company, journal=journal,
        credit_account=cash, debit_account=cash)
    method.save()
    term, = PaymentTerm.create([{
                'name': "30/60/10",
                'lines': [('create', [{
                                'type': 'percent_on_total',
                                'ratio': Decimal('.3'),
                                'divisor': Decimal('3.33333333333333'),
                                'collection_stage': 'advance',
                                }, {
                                'type': 'percent_on_total',
                                'ratio': Decimal('.6'),
                                'divisor': Decimal('1.66666666666667'),
                                'collection_stage': 'delivery',
                                'relativedeltas': [('create', [{
                                                'days': 30}])],
                                }, {
                                'type': 'remainder',
                                'collection_stage': 'retention',
                                'relativedeltas': [('create', [{
                                                'days': 90}])],
                                }])],
                }])
    return term, method, cash


def make_services(company, category_name, products):
    """A product category on the chart's revenue and expense accounts and,
    per (name, cost) of products, a service sold 1,000 a unit in it;
    return the unit and the products"""
    from trytond.pool import Pool

    pool = Pool()
    Account = pool.get('account.account')
    Category = pool.get('product.category')
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')

    revenue, = Account.search([
            ('company', '=', company.id), ('type.revenue', '=', True),
            ('closed', '!=', True)], limit=1)
    expense, = Account.search([
            ('company', '=', company.id), ('type.expense', '=', True),
            ('closed', '!=', True)], limit=1)
    category = Category(name=category_name, accounting=True,
        account_revenue=revenue, account_expense=expense)
    category.save()
    unit, = Uom.search([('name', '=', "Unit")])
    made = []
    for name, cost in products:
        template = Template(name=name, type='service',
            default_uom=unit, sale_uom=unit, salable=True,
            list_price=Decimal(1000), products=[{}],
            account_category=category)
        template.save()
        product, = template.products
        product.cost_price = Decimal(cost)
        product.save()
        made.append(product)
    return unit, made


def confirm_sale(sale):
    "Save, quote, confirm and process the order; return it read again"
    from trytond.pool import Pool
    Sale = Pool().get('sale.sale')
    sale.save()
    Sale.quote([sale])
    Sale.confirm([sale])
    sale = Sale(sale.id)
    # confirming may have processed it already
    if sale.state == 'confirmed':
        Sale.process([sale])
    return Sale(sale.id)


def make_template_orders(company, line_counts, products, unit, price,
        **values):
    """A customer "Template customer" with an address and, per number of
    lines in line_counts, an order of it with that many lines (the products
    in turn, 1 at price each) and values (employee, payment term...),
    confirmed as confirm_sale does; return the customer and the orders"""
    from trytond.pool import Pool
    pool = Pool()
    Party = pool.get('party.party')
    Sale = pool.get('sale.sale')
    customer = Party(name="Template customer", addresses=[{}])
    customer.save()
    sales = []
    for count in line_counts:
        sale = Sale(
            company=company, currency=company.currency, party=customer,
            invoice_address=customer.addresses[0],
            shipment_address=customer.addresses[0],
            lines=[{
                    'product': products[i % len(products)].id,
                    'quantity': 1,
                    'unit': unit.id,
                    'unit_price': price,
                    } for i in range(count)],
            **values)
        sales.append(confirm_sale(sale))
    return customer, sales


def post_invoice(invoice, date):
    "Post the invoice dated date; return it read again"
    from trytond.pool import Pool
    Invoice = Pool().get('account.invoice')
    invoice.invoice_date = date
    invoice.save()
    Invoice.post([invoice])
    return Invoice(invoice.id)


def run_profiled(function, *args):
    "Call function with args under cProfile: its result, duration, profile"
    profile = cProfile.Profile()
    start = time.perf_counter()
    result = profile.runcall(function, *args)
    return result, time.perf_counter() - start, profile


def profile_report(profile, lines):
    "The first lines of the profile's functions by cumulative time"
    stream = io.StringIO()
    pstats.Stats(profile, stream=stream).sort_stats(
        'cumulative').print_stats(lines)
    return stream.getvalue()


def template_rows(table, ids):
    "The rows of table with ids as dicts by id, the column names and next id"
    from trytond.transaction import Transaction
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(where=table.id.in_(ids)))
    columns = [d[0] for d in cursor.description]
    rows = {r[0]: dict(zip(columns, r)) for r in cursor}
    cursor.execute(*table.select(table.id, order_by=[table.id.desc],
            limit=1))
    # an empty table starts at 1
    return rows, columns, (cursor.fetchone() or [0])[0] + 1


def insert_batches(cursor, table, sql_columns, rows):
    "Insert rows (lists of values in sql_columns order) BATCH at a time"
    for start in range(0, len(rows), BATCH):
        cursor.execute(*table.insert(sql_columns, rows[start:start + BATCH]))


def insert_rows(table, columns, rows):
    """Insert rows (lists of values in columns order) into table: COPY on
    PostgreSQL, INSERTs elsewhere; then move the id sequence past them"""
    from trytond import backend
    from trytond.transaction import Transaction
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    if backend.name == 'postgresql':
        names = ', '.join(f'"{c}"' for c in columns)
        with cursor.copy(
                f'COPY "{table._name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    else:
        rows = list(rows)
        insert_batches(
            cursor, table, [getattr(table, c) for c in columns], rows)
    setnextid = getattr(transaction.database, 'setnextid', None)
    if setnextid and rows:
        cursor.execute(*table.select(table.id, order_by=[table.id.desc],
                limit=1))
        setnextid(transaction.connection, table._name, cursor.fetchone()[0])
