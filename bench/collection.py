#!/usr/bin/env python3
# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Payment collection of many stages (policy P3.5): the set-based overdue
scan Stage.update_collection and the collection rate per salesperson against
their bare SQL and per-record ORM loops, in the same run.

Builds a throwaway database (a new PostgreSQL database, dropped at the end,
or SQLite in a temporary directory with --sqlite) and makes a few units
through the ORM: a company, 40 salespeople, a 30/60/10 payment term, orders
of a service billed on order, confirmed (which makes their collection
plans, three stages each), processed, their invoices posted (or left in
draft) and paid in a few ways: partial payments added to the invoice,
payments in full reconciled with it, late payments, and one payment settling
the invoices of two plans.  It then copies the whole chain of each unit with
SQL INSERTs (plan, stages, order, order lines, invoice, invoice lines, moves,
move lines, reconciliations, payment lines; new ids, references remapped,
every date shifted by the same random number of days, a random salesperson)
up to --count stages, and runs ANALYZE on PostgreSQL.  The copied moves keep
the period of their template.

It times (1) the overdue scan over all plans: (a) the first scan, every
stored result stale so that every row is written, (b) the next day's scan,
where only the overdue flips are written, (c) the bare SQL of
Plan._stage_query() executed and fetched, and (d) a naive loop that browses
each stage's plan, orders, invoice lines, invoices, move lines,
reconciliations and payment lines through the ORM, computes and writes the
stage, run on --sample stages and extrapolated linearly to all; it checks
that the loop and the scan give the same results on the sample.  Then (2)
the collection rate per salesperson (sale.collection.rate.employee) of the
last quarter: search_read of all its rows, the bare SQL of its
table_query(), and a loop searching the stages of each salesperson through
the ORM and summing in Python; it checks that the three agree.

Run by hand, with assertions off (see TRYTON-NOTES, "quadratic trap"):

    PYTHONOPTIMIZE=1 .venv/bin/python bench/collection.py
    PYTHONOPTIMIZE=1 .venv/bin/python bench/collection.py --sqlite

Figures measured on the 2-core development machine on 30 Nov 2026 (the CI
suite running at the same time, load 2-3), module code of commit e302847;
every run checked: the scan and the loop agree on the sample, the three rate
computations agree:
    stages (plans)      first scan  next day  bare query  loop, extrapolated
    PostgreSQL 15
      10,002 (3,334)      2.55 s     0.43 s     0.19 s      514 s (300 run)
      100,005 (33,335)   13.26 s     8.78 s     4.53 s     6661 s (1,000 run)
    scan / bare query at 100,005: 2.9x first, 1.9x next day (goal <= 4x);
    loop / scan: 502x first, 758x next day.
    collection rate of the last quarter, 40 salespeople:
                        search_read  bare query  ORM loop
      PG, 10,002           0.029 s     0.011 s    0.63 s
      PG, 100,005          0.467 s     0.205 s   13.6 s
An earlier version of _collection_query (an anti-join of the plan's own
lines, its events evaluated three times) grew with the square of the volume
on PostgreSQL (10,002 stages: bare query 71 s); the query now takes every
line of the plan's reconciliations and cancels its own lines to pay by
adding them back with the opposite sign, and the events are one CTE.  On
the first scan every row changes and the rows are written grouped by value.
The module activation before the timings takes 3-8 minutes on
PostgreSQL, 2 on SQLite; DB_CACHE=<dir> reuses a built database (wipe it
when the module changes); the ORM units take 1-2 minutes, the SQL copy
about 2 s per 1,000 stages on PostgreSQL.
"""
import argparse
import datetime as dt
import random
import re
import sys
import time
from collections import defaultdict
from decimal import Decimal

from common import (
    add_repeat_option, add_sqlite_option, analyze, conclude, insert_batches,
    make_accounting, make_services, median_time, post_invoice, retried,
    template_rows, throwaway_database)

EMPLOYEES = 40
# the kinds of units made through the ORM and how often they are copied:
# (kind, weight); 'shared' makes two plans paid by one payment
UNITS = [
    ('draft', 8),        # invoice not posted yet
    ('posted', 10),      # posted, nothing paid
    ('advance', 12),     # 30 % paid on time, added to the invoice
    ('advance_late', 8),  # 30 % paid 12 days late
    ('partial', 10),     # 30 % on time, 40 % two weeks after the delivery
    ('paid', 25),        # 30 % then 70 %, on time, reconciled
    ('paid_late', 12),   # all 75 days after the order, reconciled
    ('paid_very_late', 7),  # all 130 days after the order, reconciled
    ('shared', 8),       # one payment for the invoices of two plans
    ]
# day offsets of the payments from the order date and their share
PAYMENTS = {
    'draft': [],
    'posted': [],
    'advance': [(0, Decimal('0.3'))],
    'advance_late': [(12, Decimal('0.3'))],
    'partial': [(0, Decimal('0.3')), (44, Decimal('0.4'))],
    'paid': [(0, Decimal('0.3')), (28, Decimal('0.7'))],
    'paid_late': [(75, Decimal(1))],
    'paid_very_late': [(130, Decimal(1))],
    }
SHARED_PAYMENT, SHARED_RECONCILIATION = 40, 45
STALE = (None, None, None, 'collected')  # a result no stage can have
STAGE_COLUMNS = ['collected_amount', 'collected_on_time', 'collected_date',
    'state']
RATE_FIELDS = ['amount_due', 'amount_on_time', 'overdue_0_30',
    'overdue_31_60', 'overdue_61_90', 'overdue_90', 'amount_overdue']


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--count', type=int, default=100_000,
        help="number of collection stages (default: %(default)s)")
    parser.add_argument('--sample', type=int, default=2_000,
        help="stages of the per-record loop (default: %(default)s)")
    add_repeat_option(parser)
    add_sqlite_option(parser)
    return parser.parse_args(argv)


def make_templates(rng, date):
    """Make the units through the ORM, orders dated date; return the
    company, the salespeople and per unit its kind, weight and rows"""
    from trytond.modules.company.tests import (
        create_company, create_employee, set_company)
    from trytond.pool import Pool

    pool = Pool()
    Party = pool.get('party.party')
    Sale = pool.get('sale.sale')
    Invoice = pool.get('account.invoice')
    Move = pool.get('account.move')
    MoveLine = pool.get('account.move.line')
    Period = pool.get('account.period')

    company = create_company()
    employees = [create_employee(company, f"Salesperson {i}")
        for i in range(EMPLOYEES)]
    units = []
    with set_company(company):
        term, method, cash = make_accounting(
            company, [date, date + dt.timedelta(days=140)])
        unit, (product,) = make_services(
            company, "Services", [("Commissioning", 400)])
        customers = Party.create([{
                    'name': f"Customer {i}",
                    'addresses': [('create', [{}])],
                    } for i in range(10)])

        def order(quantity, party=None):
            party = party or rng.choice(customers)
            sale = Sale(
                company=company, currency=company.currency, party=party,
                invoice_address=party.addresses[0],
                shipment_address=party.addresses[0],
                employee=rng.choice(employees), payment_term=term,
                sale_date=date, invoice_method='order',
                lines=[{
                        'product': product.id,
                        'quantity': quantity,
                        'unit': unit.id,
                        'unit_price': Decimal(1000),
                        }])
            sale.save()
            Sale.quote([sale])
            sale = Sale(sale.id)
            if sale.state != 'quotation':
                raise RuntimeError(
                    f"order {sale.rec_name} waits for {sale.state}")
            Sale.confirm([sale])
            sale = Sale(sale.id)
            if sale.state == 'confirmed':
                Sale.process([sale])
            sale = Sale(sale.id)
            invoice, = sale.invoices
            return sale, invoice

        for kind, weight in UNITS:
            if kind == 'shared':
                party = rng.choice(customers)
                sales, invoices = zip(*(order(rng.randrange(2, 30), party)
                        for _ in range(2)))
                invoices = [post_invoice(i, date) for i in invoices]
                amount = sum(i.total_amount for i in invoices)
                pay_date = date + dt.timedelta(days=SHARED_PAYMENT)
                move = Move(
                    journal=method.journal, date=pay_date,
                    period=Period.find(company, date=pay_date),
                    company=company, lines=[{
                            'account': invoices[0].account.id,
                            'party': invoices[0].party.id,
                            'credit': amount, 'debit': 0,
                            }, {
                            'account': cash.id,
                            'debit': amount, 'credit': 0,
                            }])
                move.save()
                Move.post([move])
                payment = [l for l in move.lines
                    if l.account == invoices[0].account]
                MoveLine.reconcile(
                    [l for i in invoices for l in i.lines_to_pay] + payment,
                    date=date + dt.timedelta(days=SHARED_RECONCILIATION))
                Invoice.process(invoices)
            else:
                sale, invoice = order(rng.randrange(2, 30))
                sales = [sale]
                if kind != 'draft':
                    invoice = post_invoice(invoice, date)
                    total = invoice.total_amount
                    paid = Decimal(0)
                    for days, share in PAYMENTS[kind]:
                        amount = invoice.currency.round(total * share)
                        invoice.pay_invoice(
                            amount, method, date + dt.timedelta(days=days))
                        invoice = Invoice(invoice.id)
                        paid += amount
                    if paid == total:
                        invoice = Invoice(invoice.id)
                        MoveLine.reconcile(
                            list(invoice.lines_to_pay)
                            + [l for l in invoice.payment_lines
                                if not l.reconciliation])
                        Invoice.process([invoice])
            units.append((kind, weight, unit_rows(sales)))
    return company.id, [e.id for e in employees], units


def unit_rows(sales):
    "The ids of the rows of the whole chain of the sales, per table"
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool()
    Sale = pool.get('sale.sale')
    Stage = pool.get('sale.collection.stage')
    InvoiceLine = pool.get('account.invoice.line')
    PaymentLine = pool.get('account.invoice-account.move.line')
    sales = Sale.browse(sales)
    plans = {s.collection_plan for s in sales}
    stages = Stage.search([('plan', 'in', [p.id for p in plans])])
    sale_lines = [l for s in sales for l in s.lines]
    invoice_lines = InvoiceLine.search([
            ('origin', 'in', [str(l) for l in sale_lines])])
    invoices = {l.invoice for l in invoice_lines}
    lines = {l for i in invoices if i.move for l in i.move.lines}
    lines |= {l for i in invoices for l in i.payment_lines}
    lines |= {o for l in list(lines) if l.reconciliation
        for o in l.reconciliation.lines}
    moves = {l.move for l in lines}
    lines = {l for m in moves for l in m.lines}
    reconciliations = {l.reconciliation for l in lines if l.reconciliation}
    payment_line = PaymentLine.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*payment_line.select(payment_line.id,
            where=payment_line.invoice.in_([i.id for i in invoices])))
    payment_lines = [i for i, in cursor]
    return {
        'sale.collection.plan': sorted(p.id for p in plans),
        'sale.collection.stage': sorted(s.id for s in stages),
        'sale.sale': sorted(s.id for s in sales),
        'sale.line': sorted(l.id for l in sale_lines),
        'account.move': sorted(m.id for m in moves),
        'account.move.reconciliation': sorted(
            r.id for r in reconciliations),
        'account.move.line': sorted(l.id for l in lines),
        'account.invoice': sorted(i.id for i in invoices),
        'account.invoice.line': sorted(l.id for l in invoice_lines),
        'account.invoice-account.move.line': payment_lines,
        }


# in the order of insertion: the rows a row refers to come first
COPIED = [
    ('sale.collection.plan', {}),
    ('sale.collection.stage', {'plan': 'sale.collection.plan'}),
    ('sale.sale', {'collection_plan': 'sale.collection.plan'}),
    ('sale.line', {'sale': 'sale.sale'}),
    ('account.move', {}),
    ('account.move.reconciliation', {}),
    ('account.move.line', {
            'move': 'account.move',
            'reconciliation': 'account.move.reconciliation'}),
    ('account.invoice', {
            'move': 'account.move', 'cancel_move': 'account.move'}),
    ('account.invoice.line', {'invoice': 'account.invoice'}),
    ('account.invoice-account.move.line', {
            'invoice': 'account.invoice', 'line': 'account.move.line'}),
    ]
REFERENCE = re.compile(r'^([a-z_.]+),(-?\d+)$')


def copy_templates(rng, employee_ids, units, count, today):
    """Copy the chain of the units with SQL INSERTs until count stages;
    return the number of stages"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool()
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    tables = {name: pool.get(name).__table__() for name, _ in COPIED}
    columns, rows, next_id = {}, {}, {}
    for name, _ in COPIED:
        ids = sorted({i for *_, u in units for i in u[name]}) or [-1]
        rows[name], columns[name], next_id[name] = template_rows(
            tables[name], ids)

    # the last day a unit records an order or a payment: copies record
    # nothing after today
    def last_date(unit):
        return max(rows[name][i][column] for name, column in [
                ('sale.collection.plan', 'date'),
                ('account.move', 'date'),
                ('account.move.reconciliation', 'date'),
                ] for i in unit[name])

    stages = sum(len(u['sale.collection.stage']) for *_, u in units)
    values = defaultdict(list)
    plan_sales = []
    weights = [w for _, w, _ in units]
    while stages < count:
        _, _, unit = rng.choices(units, weights)[0]
        shift = dt.timedelta(days=rng.randint(
                -200, (today - last_date(unit)).days))
        employee = rng.choice(employee_ids)
        mapping = {}
        for name, _ in COPIED:
            for old in unit[name]:
                mapping[name, old] = next_id[name]
                next_id[name] += 1

        def remap(value):
            if type(value) is dt.date:
                return value + shift
            if isinstance(value, str) and (match := REFERENCE.match(value)):
                model, id_ = match.group(1), int(match.group(2))
                if (model, id_) in mapping:
                    return f'{model},{mapping[model, id_]}'
            return value

        for name, foreign in COPIED:
            for old in unit[name]:
                row = {c: remap(v) for c, v in rows[name][old].items()}
                row['id'] = mapping[name, old]
                for column, target in foreign.items():
                    if row[column] is not None:
                        row[column] = mapping[target, row[column]]
                if 'employee' in row:
                    row['employee'] = employee
                if name == 'sale.collection.plan':
                    if row['sale'] is not None:
                        plan_sales.append(
                            (row['id'], mapping['sale.sale', row['sale']]))
                    row['sale'] = None
                elif name == 'sale.collection.stage':
                    row.update(dict(zip(STAGE_COLUMNS,
                                (Decimal(0), Decimal(0), None, 'open'))))
                values[name].append([row[c] for c in columns[name]])
        stages += len(unit['sale.collection.stage'])

    for name, _ in COPIED:
        table = tables[name]
        # INSERTs, as the docstring says (insert_rows would COPY on PG)
        insert_batches(cursor, table,
            [getattr(table, c) for c in columns[name]], values[name])
        setnextid = getattr(transaction.database, 'setnextid', None)
        if setnextid and values[name]:
            setnextid(transaction.connection, table._name, next_id[name] - 1)
    plan = tables['sale.collection.plan']
    query, params = tuple(plan.update([plan.sale], [0], where=plan.id == 0))
    cursor.executemany(query, [(s, p) for p, s in plan_sales])
    return stages


def set_stored(values, stage_ids=None):
    "Overwrite the stored results of the stages (all when None)"
    from trytond import backend
    from trytond.pool import Pool
    from trytond.tools import grouped_slice
    from trytond.transaction import Transaction
    Stage = Pool().get('sale.collection.stage')
    table = Stage.__table__()
    cursor = Transaction().connection.cursor()
    sql_columns = [getattr(table, c) for c in STAGE_COLUMNS]
    if stage_ids is None:
        cursor.execute(*table.update(sql_columns, list(values)))
    else:
        for sub in grouped_slice(stage_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.update(sql_columns, list(values),
                    where=table.id.in_(list(sub))))


def read_stored(stage_ids=None):
    "The stored results of the stages, normalised"
    from sales_ops_policy.sale import _date

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Stage = Pool().get('sale.collection.stage')
    table = Stage.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(table.id,
            *(getattr(table, c) for c in STAGE_COLUMNS)))
    wanted = None if stage_ids is None else set(stage_ids)
    return {i: (_money(c), _money(o), _date(d), s)
        for i, c, o, d, s in cursor if wanted is None or i in wanted}


def _money(value):
    # SQLite gives numerics as floats
    return Decimal(str(value or 0)).quantize(Decimal('0.01'))


def bare_stage_query():
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Plan = Pool().get('sale.collection.plan')
    cursor = Transaction().connection.cursor()
    cursor.execute(*Plan._stage_query())
    return cursor.fetchall()


def plan_collections(plan):
    """The collections of the plan by date, browsed through the ORM: the
    payments reconciled with its invoices at their dates (the plan's part at
    the reconciliation date when other invoices share the reconciliation)
    and the partial payments added to its invoices"""
    from trytond.pool import Pool
    pool = Pool()
    Invoice = pool.get('account.invoice')
    InvoiceLine = pool.get('account.invoice.line')

    invoices = set()
    for sale in plan.sales:
        for line in sale.lines:
            for invoice_line in line.invoice_lines:
                invoices.add(invoice_line.invoice)
                for credit in InvoiceLine.search([
                            ('origin', '=', str(invoice_line))]):
                    invoices.add(credit.invoice)
    own = {}
    for invoice in invoices:
        if (invoice.type == 'out' and invoice.state in {'posted', 'paid'}
                and invoice.move):
            for line in invoice.move.lines:
                if line.account == invoice.account:
                    own[line.id] = line
    events = defaultdict(Decimal)
    for reconciliation in {l.reconciliation for l in own.values()
            if l.reconciliation}:
        others = [l for l in reconciliation.lines if l.id not in own]
        if any(Invoice.search([
                        ('move', '=', l.move.id),
                        ('account', '=', l.account.id),
                        ], limit=1) for l in others):
            events[reconciliation.date] += sum(
                l.debit - l.credit for l in reconciliation.lines
                if l.id in own)
        else:
            for line in others:
                events[line.move.date] += line.credit - line.debit
    for invoice in invoices:
        for line in invoice.payment_lines:
            if not line.reconciliation:
                events[line.move.date] += line.credit - line.debit
    return events


def stage_result(stage, today):
    "What the scan computes for the stage, from the ORM"
    plan = stage.plan
    events = plan_collections(plan)
    key = (stage.due_date, stage.id)
    before = sum((s.amount for s in plan.stages
            if (s.due_date, s.id) < key), Decimal(0))
    amount = stage.amount

    def allocate(collected):
        return min(max(collected - before, Decimal(0)), amount)

    collected = allocate(sum(events.values(), Decimal(0)))
    on_time = allocate(sum(
            (a for d, a in events.items() if d <= stage.due_date),
            Decimal(0)))
    date = None
    if collected >= amount:
        state = 'collected'
        running = Decimal(0)
        for day in sorted(events):
            running += events[day]
            if running >= before + amount:
                date = day
                break
    elif stage.due_date < today:
        state = 'overdue'
    elif collected:
        state = 'partial'
    else:
        state = 'open'
    return collected, on_time, date, state


def naive_loop(stage_ids, today):
    "Compute and write each stage from the ORM, one record at a time"
    from trytond.pool import Pool
    Stage = Pool().get('sale.collection.stage')
    for stage_id in stage_ids:
        stage = Stage(stage_id)
        Stage.write([stage], dict(zip(STAGE_COLUMNS,
                    stage_result(stage, today))))


def rate_orm():
    from trytond.pool import Pool
    Rate = Pool().get('sale.collection.rate.employee')
    return {r['employee']: tuple(_money(r[f]) for f in RATE_FIELDS)
        for r in Rate.search_read(
            [], fields_names=['employee', 'rate'] + RATE_FIELDS)}


def rate_bare():
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Rate = Pool().get('sale.collection.rate.employee')
    cursor = Transaction().connection.cursor()
    cursor.execute(*Rate.table_query())
    names = [d[0] for d in cursor.description]
    return {r['employee']: tuple(_money(r[f]) for f in RATE_FIELDS)
        for r in (dict(zip(names, row)) for row in cursor)}


def rate_loop(company_id, from_date, to_date):
    "Per salesperson, search the stages through the ORM and sum them"
    from trytond.pool import Pool
    pool = Pool()
    Employee = pool.get('company.employee')
    Stage = pool.get('sale.collection.stage')
    result = {}
    for employee in Employee.search([('company', '=', company_id)]):
        stages = Stage.search([
                ('employee', '=', employee.id),
                ('plan.company', '=', company_id),
                ('plan.state', '!=', 'cancelled'),
                ['OR', [
                        ('due_date', '>=', from_date),
                        ('due_date', '<=', to_date),
                        ], [
                        ('due_date', '<', to_date),
                        ('state', '!=', 'collected'),
                        ]],
                ])
        if not stages:
            continue
        sums = dict.fromkeys(RATE_FIELDS, Decimal(0))
        for stage in stages:
            if from_date <= stage.due_date <= to_date:
                sums['amount_due'] += stage.amount
                sums['amount_on_time'] += stage.collected_on_time or 0
            if stage.due_date < to_date and stage.state != 'collected':
                open_ = stage.amount - (stage.collected_amount or 0)
                days = (to_date - stage.due_date).days
                bucket = ('overdue_0_30' if days <= 30
                    else 'overdue_31_60' if days <= 60
                    else 'overdue_61_90' if days <= 90
                    else 'overdue_90')
                sums[bucket] += open_
                sums['amount_overdue'] += open_
        result[employee.id] = tuple(_money(sums[f]) for f in RATE_FIELDS)
    return result


def differences(expected, got):
    return sorted(i for i in expected.keys() | got.keys()
        if expected.get(i) != got.get(i))


def main(argv=None):
    args = parse_args(argv)
    with throwaway_database('sales_ops_policy', 'bench_collection',
            args.sqlite, 'bench-collection-') as db_name:
        from trytond.pool import Pool
        from trytond.transaction import Transaction

        failures = []
        today = dt.date.today()
        later = today + dt.timedelta(days=1)
        start = time.perf_counter()
        company_id, employee_ids, units = retried(lambda: make_templates(
                random.Random(2026), today - dt.timedelta(days=200)))
        print(f"{len(units)} units made through the ORM: "
            f"{time.perf_counter() - start:.0f} s", flush=True)
        rng = random.Random(2026)
        with Transaction().start(db_name, 1) as transaction:
            start = time.perf_counter()
            count = copy_templates(
                rng, employee_ids, units, args.count, today)
            transaction.commit()
            analyze()
            transaction.commit()
            Plan = Pool().get('sale.collection.plan')
            Stage = Pool().get('sale.collection.stage')
            plans = Plan.search([], count=True)
            print(f"{plans} plans, {count} stages copied by SQL: "
                f"{time.perf_counter() - start:.0f} s", flush=True)

            # (1) the overdue scan
            set_stored(STALE)
            transaction.commit()
            start = time.perf_counter()
            written = Stage.update_collection()
            first_scan = time.perf_counter() - start
            transaction.commit()
            print(f"first scan:       {first_scan:8.3f} s "
                f"({written} stages written)", flush=True)

            with Transaction().set_context(date=later):
                start = time.perf_counter()
                written = Stage.update_collection()
                daily_scan = time.perf_counter() - start
            transaction.commit()
            expected = read_stored()
            print(f"next day's scan:  {daily_scan:8.3f} s "
                f"({written} stages written)", flush=True)
            states = defaultdict(int)
            for *_, state in expected.values():
                states[state] += 1

            bare, computed = median_time(bare_stage_query, args.repeat)
            print(f"bare stage query: {bare:8.3f} s "
                f"({len(computed)} rows, median of {args.repeat})",
                flush=True)

            sample = sorted(rng.sample(
                    sorted(expected), min(args.sample, len(expected))))
            set_stored(STALE, sample)
            transaction.commit()
            with Transaction().set_context(date=later):
                start = time.perf_counter()
                naive_loop(sample, later)
                loop_sample = time.perf_counter() - start
            transaction.commit()
            got = read_stored(sample)
            loop = loop_sample * len(expected) / len(sample)
            print(f"per-record loop:  {loop_sample:8.3f} s for "
                f"{len(sample)} stages, {loop:.0f} s extrapolated to "
                f"{len(expected)}", flush=True)
            wrong = differences(
                {i: expected[i] for i in sample}, got)
            if wrong:
                failures.append(
                    f"{len(wrong)} of {len(sample)} sampled stages "
                    f"differ, e.g. stage {wrong[0]}: scan "
                    f"{expected.get(wrong[0])} != loop "
                    f"{got.get(wrong[0])}")

            # (2) the collection rate per salesperson
            from_date = today - dt.timedelta(days=91)
            with Transaction().set_context(company=company_id,
                    from_date=from_date, to_date=today):
                rate_time, rates = median_time(rate_orm, args.repeat)
                bare_rate, bare_rates = median_time(
                    rate_bare, args.repeat)
                start = time.perf_counter()
                loop_rates = rate_loop(company_id, from_date, today)
                rate_loop_time = time.perf_counter() - start
            print(f"rate search_read: {rate_time:8.3f} s "
                f"({len(rates)} salespeople, {from_date} to {today})")
            print(f"rate bare query:  {bare_rate:8.3f} s")
            print(f"rate ORM loop:    {rate_loop_time:8.3f} s",
                flush=True)
            for name, other in [
                    ('bare query', bare_rates), ('ORM loop', loop_rates)]:
                wrong = differences(rates, other)
                if wrong:
                    failures.append(
                        f"rate: search_read and {name} differ for "
                        f"{len(wrong)} salespeople, e.g. {wrong[0]}: "
                        f"{rates.get(wrong[0])} != {other.get(wrong[0])}")

    print(f"scan / bare query:      {first_scan / bare:6.1f}x first, "
        f"{daily_scan / bare:.1f}x next day (goal <= 4x)")
    print(f"loop / scan:            {loop / first_scan:6.0f}x first, "
        f"{loop / daily_scan:.0f}x next day")
    print(f"rate search_read / bare: {rate_time / bare_rate:5.1f}x")
    print(f"rate loop / search_read: {rate_loop_time / rate_time:5.0f}x")
    print("stages:", ', '.join(f"{k}: {v}" for k, v in sorted(
                states.items())))
    return conclude(failures, "the scan and the loop agree on the sample; "
        "the three rate computations agree")


if __name__ == '__main__':
    sys.exit(main())
