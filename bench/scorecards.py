#!/usr/bin/env python3
# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""KPI scorecards of many salespeople (P5.3.1): Period.compute over the 12
months of a year against the bare SQL aggregates that Kpi.measure runs and a
per-person ORM loop, in the same run.

Builds a throwaway database (a new PostgreSQL database, dropped at the end,
or SQLite in a temporary directory with --sqlite) and makes through the ORM
a company with its chart, fiscal years and a payment term, one sales
manager, --teams teams (default 50) of --salespeople salespeople (default
500), each team with its own supervisor, two products (cost 600 and 200),
and 7 template orders of 1 to 7 lines invoiced on order, confirmed,
processed and their invoices posted (the orders of the manager, who is in no
team).  It then copies with SQL (COPY on PostgreSQL) --customers customers
(default 60 per salesperson, each owned by one salesperson, 30 % buying from
the start, the others joining on a random day) and their orders, order lines,
invoices and invoice lines (origin = the order line) until --lines order
lines (default 1,000,000) are dated in the scored year (last calendar year);
the customers also buy in the year before (about 58 % of the scored year's
lines more: 0.58M with 1M), so that the growth rate has a basis, unless
--no-history.  Each salesperson has a level of sales and a growth from one
year to the next, each customer a frequency and an order size; 97 % of the
orders are confirmed, processing or done and invoiced, the others draft or
cancelled; 97 % of the invoices are posted or paid, the others draft.  The
copied invoices have no account move (no KPI reads one) and no collection
plan: the collection-rate and training KPIs are left out of the schemes;
the satisfaction KPI counts 1 to 6 revisits a month per salesperson, copied
by SQL too (no complaint).  Schemes: salesperson revenue 35, gross profit
20, growth 15, new customers 15, satisfaction 15 (without history: revenue
40, gross profit 25, new customers 20, satisfaction 15); supervisor
(the team's scorecard) revenue 60, gross profit 40; manager (the
department's) revenue 100.  The targets of the additive KPIs are set per
salesperson at 80-125 % of the figure made, the teams' and the department's
add them up; the rates have a department target (growth 5 %, satisfaction
4).  They are inserted by SQL, the periods of the year created and opened
(Period.open checks the cascade) through the ORM, ANALYZE run.

It times, with the median of --repeat runs: (1) Period.compute on the 12
monthly periods through the ORM in the transaction (Objection search,
clear, Kpi.measure, teams, targets, scores, ranks, bulk insert of the
scorecards and lines), the commit apart, and the same for the yearly
period; (2) the bare SQL aggregates: the statements that Kpi.measure
executes for those periods, captured once by wrapping the transaction's
connection while it runs (so they are the module's own queries, with their
parameters, not rewritten) and then executed and fetched (cursor.execute,
fetchall) for the same periods; Kpi.measure itself (the queries and the
Python around them) is timed too; (3) a per-person ORM loop: for --sample
salespeople (default 10) and each of the 12 months, search their invoice
lines of the month and of the same month last year, their orders and the
first order of each of the customers, their revisits and the complaints,
their targets, sum and score in Python and create the scorecard with its
lines through the ORM (rank and the team and department scorecards left
out); extrapolated linearly to all salespeople and stated as such, then
rolled back.  It checks that the scorecards' figures are those made by the
copy (every salesperson, every KPI, the 12 months and the year) and that
the loop gives the same figures as Period.compute on the sample.
--profile times the main steps of one more compute of the 12 months
(timers around the module's methods) and prints the cProfile of another.

Run by hand, with assertions off (see TRYTON-NOTES, "quadratic trap"):

    PYTHONOPTIMIZE=1 .venv/bin/python bench/scorecards.py --lines 20000 \\
        --salespeople 50 --teams 5
    PYTHONOPTIMIZE=1 .venv/bin/python bench/scorecards.py --profile  # 1M

Run on 30 Nov 2026 on the 2-core development machine, PostgreSQL 15, with
other sessions' tests and a demo running beside it (load about 2), module
code of commit 25e5b3a (kpi.py as committed there), DB_CACHE for the module
activation; both checks passed (the scorecards hold the figures made, the
loop agrees with Period.compute on the sample):
    500 salespeople in 50 teams, 30,000 customers, 395,285 orders,
    1,581,896 order lines (1,000,001 in 2025, 581,895 in 2024), 383,346
    invoices (one invoice line per order line), 20,956 revisits: copied in
    218 s; 21,515 targets, Period.open of the 12 months and the year 5.9 s
                                      time    / bare SQL
    bare SQL, 12 months (84 stmts)   25.41 s     1x
    Kpi.measure, 12 months           29.30 s   1.15x
    Period.compute, 12 months        40.11 s   1.58x (goal <= 4x); first
        run 42.21 s; 6,612 scorecards, 31,212 lines
    bare SQL, the year (7 stmts)     11.93 s     1x
    Kpi.measure, the year             9.77 s   0.82x (noise)
    Period.compute, the year         13.34 s   1.12x; 551 scorecards
    per-person loop                 143.1 s for 10 salespeople x 12 months,
        7,153 s extrapolated linearly to 500 (14.3 s a salesperson):
        178x Period.compute of the 12 months
    monthly salesperson bands: Meets Expectations 2,623, Good 1,479,
        Below Expectations 1,166, Excellent 732
The goal is met.  A compute of the 12 months timed by step (41.4 s):
Kpi.measure 29.2 s (70 %), Scorecard._insert 6.7 s, Target.search 1.3 s,
Scorecard.clear 0.3 s, teams_of 0.02 s, the rest (reading the targets and
scheme lines through the ORM, scores, ranks, bands) 3.9 s.  In cProfile
the queries of Kpi.measure are: the revenue query run 36 times (17.2 s,
about 0.48 s each: once for revenue, and twice more by _measure_growth,
for the period again and for last year), gross profit 12 times (6.3 s,
another scan of the same invoiced lines), new customers 12 times (5.2 s,
each ranking every confirmed order of the company).  Most of
Scorecard._insert is psycopg converting the placeholders of the multi-row
INSERT client-side (_queries._split_query, about 6 s of the 8.4 s profiled):
one statement holds the lines of up to 500 scorecards, some 28,000
placeholders.  The module activation takes 3-5 minutes on PostgreSQL, 1 on
SQLite; DB_CACHE=<dir> reuses a built database (wipe it when the module's
data changes).
"""
import argparse
import datetime as dt
import math
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal

from common import (
    accumulate, add_repeat_option, add_sqlite_option, analyze, conclude,
    insert_rows, make_accounting, make_services, make_template_orders,
    median_time, post_invoice, profile_report, run_profiled, template_rows,
    throwaway_database, timed_retried)

TEMPLATE_LINES = range(1, 8)    # lines of the template orders: 4 on average
PRODUCTS = [("Pump", 600), ("Commissioning", 200)]  # name, cost; sold 1,000
SALE_STATES = ['confirmed', 'processing', 'done']   # as sales_ops_policy
INVOICED = ['posted', 'paid']
# KPI code: weight, per role; growth only with a year of history
SCHEMES = {
    'salesperson': {
        'REV': 35, 'GP': 20, 'GROWTH': 15, 'NEW': 15, 'CSAT': 15},
    'supervisor': {'REV': 60, 'GP': 40},
    'manager': {'REV': 100},
    }
SCHEME_NO_HISTORY = {'REV': 40, 'GP': 25, 'NEW': 20, 'CSAT': 15}
ADDITIVE = ['REV', 'GP', 'NEW']
RATE_TARGETS = {'GROWTH': Decimal(5), 'CSAT': Decimal(4)}
CENT = Decimal('0.01')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--salespeople', type=int, default=500,
        help="number of salespeople (default: %(default)s)")
    parser.add_argument('--teams', type=int, default=50,
        help="number of teams, one supervisor each (default: %(default)s)")
    parser.add_argument('--lines', type=int, default=1_000_000,
        help="order lines dated in the scored year (default: %(default)s)")
    parser.add_argument('--customers', type=int, default=None,
        help="number of customers (default: 60 per salesperson)")
    parser.add_argument('--no-history', action='store_true',
        help="no orders in the year before the scored one (the growth "
        "KPI is then left out of the scheme)")
    parser.add_argument('--sample', type=int, default=10,
        help="salespeople of the per-person loop (default: %(default)s)")
    add_repeat_option(parser, 'each timing')
    parser.add_argument('--show-sql', action='store_true',
        help="print the statements Kpi.measure executes for the first "
        "month")
    parser.add_argument('--profile', action='store_true',
        help="print the cProfile of one compute of the 12 months")
    add_sqlite_option(parser)
    return parser.parse_args(argv)


def make_templates(args, year):
    """Make through the ORM the company, its accounting, the people and
    teams, the products, a customer and one order per number of lines in
    TEMPLATE_LINES invoiced and posted; return the ids needed to copy"""
    from trytond.modules.company.tests import create_company, set_company
    from trytond.pool import Pool

    pool = Pool()
    Party = pool.get('party.party')
    Employee = pool.get('company.employee')
    Team = pool.get('sale.team')

    company = create_company()
    hired = dt.date(year - 3, 1, 1)
    joined = dt.date(year - 1, 1, 1)
    with set_company(company):
        date = dt.date(year, 6, 15)
        term, _, _ = make_accounting(company, [date])

        def employees(names, role, supervisors=None):
            parties = Party.create([{'name': n} for n in names])
            return Employee.create([{
                        'party': p.id,
                        'company': company.id,
                        'sales_role': role,
                        'start_date': hired,
                        'supervisor': (supervisors[i % len(supervisors)].id
                            if supervisors else None),
                        } for i, p in enumerate(parties)])

        manager, = employees(["Mary Manager"], 'manager')
        supervisors = employees(
            [f"Supervisor {t}" for t in range(args.teams)], 'supervisor',
            [manager])
        salespeople = employees(
            [f"Salesperson {i}" for i in range(args.salespeople)],
            'salesperson', supervisors)
        teams = Team.create([{
                    'name': f"Team {t}",
                    'company': company.id,
                    'manager': manager.id,
                    'start_date': joined,
                    'supervisors': [('add', [supervisors[t].id])],
                    'members': [('create', [{
                                    'employee': s.id,
                                    'start_date': joined,
                                    } for s in salespeople[t::args.teams]])],
                    } for t in range(args.teams)])

        unit, products = make_services(company, "Goods", PRODUCTS)
        customer, sales = make_template_orders(
            company, TEMPLATE_LINES, products, unit, Decimal(1000),
            employee=manager, payment_term=term, sale_date=date,
            invoice_method='order')
        for sale in sales:
            invoice, = sale.invoices
            post_invoice(invoice, date)
    return {
        'company': company.id,
        'manager': manager.id,
        'salespeople': [s.id for s in salespeople],
        'teams': {t.id: [m.employee.id for m in t.members] for t in teams},
        'customer': customer.id,
        'sales': [s.id for s in sales],
        'costs': {p.id: Decimal(c) for p, (_, c) in zip(products, PRODUCTS)},
        }


class Made:
    """What the copy made, per salesperson and day: the invoiced amount and
    profit, the new customers and the satisfaction ratings"""

    def __init__(self):
        self.revenue = defaultdict(Decimal)
        self.profit = defaultdict(Decimal)
        self.first = {}     # customer: (date, sale id, employee)
        self.ratings = defaultdict(lambda: [0, 0])

    def figures(self, employees, start, end, last_year):
        "{employee: {code: (numerator, denominator)}} between start and end"
        def total(values, employee, start, end):
            return sum((values.get((employee, start + dt.timedelta(days=d)),
                        Decimal(0)) for d in range((end - start).days + 1)),
                Decimal(0))
        new = Counter(e for d, _, e in self.first.values()
            if start <= d <= end)
        result = {}
        for employee in employees:
            revenue = total(self.revenue, employee, start, end)
            before = total(self.revenue, employee,
                last_year(start), last_year(end))
            ratings = [0, 0]
            for day in range((end - start).days + 1):
                value = self.ratings.get(
                    (employee, start + dt.timedelta(days=day)))
                if value:
                    ratings[0] += value[0]
                    ratings[1] += value[1]
            result[employee] = {
                'REV': (revenue, 1),
                'GP': (total(self.profit, employee, start, end), 1),
                'GROWTH': (revenue - before, before),
                'NEW': (new.get(employee, 0), 1),
                'CSAT': tuple(ratings),
                }
        return result


def template_chain(ids):
    """The rows of the template orders, lines, invoices and invoice lines
    by number of lines, the column names and next ids of their tables"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool()
    cursor = Transaction().connection.cursor()
    tables = {n: pool.get(n).__table__() for n in [
            'sale.sale', 'sale.line', 'account.invoice',
            'account.invoice.line']}
    sale_t, line_t = tables['sale.sale'], tables['sale.line']
    invoice_line_t = tables['account.invoice.line']
    cursor.execute(*line_t.select(line_t.id, line_t.sale,
            where=line_t.sale.in_(ids['sales']), order_by=[line_t.id]))
    sale_lines = defaultdict(list)
    for id_, sale in cursor:
        sale_lines[sale].append(id_)
    origins = {f'sale.line,{i}': i for l in sale_lines.values() for i in l}
    cursor.execute(*invoice_line_t.select(invoice_line_t.id,
            invoice_line_t.invoice, invoice_line_t.origin,
            where=invoice_line_t.origin.in_(list(origins))))
    invoice_lines, invoices = {}, {}
    for id_, invoice, origin in cursor:
        invoice_lines[origins[origin]] = id_
        invoices[invoice] = None
    chain = {}
    for name, table, wanted in [
            ('sale.sale', sale_t, ids['sales']),
            ('sale.line', line_t, list(origins.values())),
            ('account.invoice', tables['account.invoice'], list(invoices)),
            ('account.invoice.line', invoice_line_t,
                list(invoice_lines.values()))]:
        rows, columns, next_id = template_rows(table, wanted)
        chain[name] = (table, columns, rows, next_id)
    _, _, invoice_rows, _ = chain['account.invoice']
    _, _, invoice_line_rows, _ = chain['account.invoice.line']
    by_count = {}
    for sale in ids['sales']:
        lines = sale_lines[sale]
        invoice = invoice_line_rows[invoice_lines[lines[0]]]['invoice']
        by_count[len(lines)] = (sale, lines, invoice,
            [invoice_lines[l] for l in lines])
    return chain, by_count


class Rows:
    "Template rows as lists, copied with some columns changed"

    def __init__(self, columns, template):
        self.columns = columns
        self.index = {c: i for i, c in enumerate(columns)}
        self.template = [template[c] for c in columns]

    def make(self, **values):
        row = list(self.template)
        for column, value in values.items():
            if column in self.index:
                row[self.index[column]] = value
        return row


def copy_data(rng, args, ids, year, made):
    """Copy with SQL the customers, orders, lines, invoices and invoice
    lines until args.lines lines are dated in year, and the revisits;
    record in made what was copied; return the counts"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool()
    Party = pool.get('party.party')
    Revisit = pool.get('sale.customer.revisit')
    party_t, revisit_t = Party.__table__(), Revisit.__table__()
    cursor = Transaction().connection.cursor()
    now = dt.datetime.now()
    salespeople = ids['salespeople']
    costs = ids['costs']

    # the customers: owner, first day they buy, frequency and order size
    parties, party_columns, next_party = template_rows(
        party_t, [ids['customer']])
    party_rows = Rows(party_columns, parties[ids['customer']])
    start = dt.date(year, 1, 1) if args.no_history else dt.date(
        year - 1, 1, 1)
    end = dt.date(year, 12, 31)
    span = (end - start).days + 1
    level = {e: rng.lognormvariate(0, 0.35) for e in salespeople}
    growth = {e: rng.lognormvariate(math.log(1.05), 0.15)
        for e in salespeople}
    customers = args.customers or 60 * len(salespeople)
    owners, starts, weights, scales = [], [], [], []
    rows = []
    for n in range(customers):
        owner = salespeople[n % len(salespeople)]
        begin = (start if rng.random() < 0.3
            else start + dt.timedelta(days=rng.randrange(span)))
        owners.append(owner)
        starts.append(begin)
        weights.append(rng.lognormvariate(0, 0.8)
            * ((end - begin).days + 1))
        scales.append(rng.lognormvariate(math.log(6000), 0.9) * level[owner])
        rows.append(party_rows.make(id=next_party + n,
                name=f"Customer {n}", code=f"BK{next_party + n}",
                owner=owner, create_date=now, write_date=None,
                write_uid=None, customer_tier=None, last_reviewed=None))
    insert_rows(party_t, party_columns, rows)
    del rows
    cum_weights = list(accumulate(weights))

    chain, by_count = template_chain(ids)
    tables = {n: c[0] for n, c in chain.items()}
    columns = {n: c[1] for n, c in chain.items()}
    next_id = {n: c[3] for n, c in chain.items()}
    templates = {}
    for count, (sale, lines, invoice, invoice_lines) in by_count.items():
        templates[count] = (
            Rows(columns['sale.sale'], chain['sale.sale'][2][sale]),
            [Rows(columns['sale.line'], chain['sale.line'][2][l])
                for l in lines],
            Rows(columns['account.invoice'],
                chain['account.invoice'][2][invoice]),
            [Rows(columns['account.invoice.line'], row) for row in (
                    chain['account.invoice.line'][2][l]
                    for l in invoice_lines)],
            [chain['sale.line'][2][l]['product'] for l in lines])
    sale_states = ['processing'] * 60 + ['done'] * 37 + ['cancelled'] * 2 \
        + ['draft']
    invoice_states = ['posted'] * 67 + ['paid'] * 30 + ['draft'] * 3
    counts = Counter()
    batch = defaultdict(list)

    def flush():
        for name in ['sale.sale', 'sale.line', 'account.invoice',
                'account.invoice.line']:
            if batch[name]:
                insert_rows(tables[name], columns[name], batch[name])
        batch.clear()

    while counts['year lines'] < args.lines:
        customer = rng.choices(range(customers), cum_weights=cum_weights)[0]
        employee = owners[customer]
        begin = starts[customer]
        date = begin + dt.timedelta(
            days=rng.randrange((end - begin).days + 1))
        count = rng.choice(TEMPLATE_LINES)
        sale_rows, line_rows, invoice_rows, invoice_line_rows, products = \
            templates[count]
        target = scales[customer] * rng.lognormvariate(0, 0.5)
        if date.year == year:
            target *= growth[employee]
        sale_id = next_id['sale.sale']
        next_id['sale.sale'] += 1
        party = next_party + customer
        state = rng.choice(sale_states)
        invoice_state = (rng.choice(invoice_states)
            if state in SALE_STATES else None)
        invoice_id = None
        if invoice_state:
            invoice_id = next_id['account.invoice']
            next_id['account.invoice'] += 1
        total = profit = Decimal(0)
        for rows, invoice_rows_, product in zip(
                line_rows, invoice_line_rows, products):
            quantity = rng.randint(1, 10)
            price = max(Decimal(target / count / quantity
                    * rng.uniform(0.5, 1.5)).quantize(CENT), CENT)
            line_id = next_id['sale.line']
            next_id['sale.line'] += 1
            batch['sale.line'].append(rows.make(id=line_id, sale=sale_id,
                    quantity=quantity, actual_quantity=quantity,
                    unit_price=price, base_price=price, create_date=now,
                    write_date=None, write_uid=None))
            if invoice_id:
                batch['account.invoice.line'].append(invoice_rows_.make(
                        id=next_id['account.invoice.line'],
                        invoice=invoice_id, origin=f'sale.line,{line_id}',
                        quantity=quantity, unit_price=price,
                        base_price=price, create_date=now, write_date=None,
                        write_uid=None))
                next_id['account.invoice.line'] += 1
                counts['invoice lines'] += 1
            amount = price * quantity
            total += amount
            profit += amount - costs[product] * quantity
        batch['sale.sale'].append(sale_rows.make(id=sale_id,
                number=f"BS{sale_id}", reference=None, party=party,
                employee=employee, sale_date=date, state=state,
                collection_plan=None, create_date=now, write_date=None,
                write_uid=None,
                untaxed_amount_cache=None if state == 'draft' else total,
                tax_amount_cache=None if state == 'draft' else Decimal(0),
                total_amount_cache=None if state == 'draft' else total))
        if invoice_id:
            batch['account.invoice'].append(invoice_rows.make(
                    id=invoice_id, number=(None if invoice_state == 'draft'
                        else f"BI{invoice_id}"),
                    reference=f"BS{sale_id}", party=party,
                    invoice_date=date, accounting_date=None,
                    state=invoice_state, move=None, cancel_move=None,
                    untaxed_amount_cache=(None if invoice_state == 'draft'
                        else total),
                    tax_amount_cache=(None if invoice_state == 'draft'
                        else Decimal(0)),
                    total_amount_cache=(None if invoice_state == 'draft'
                        else total),
                    invoice_report_cache=None,
                    invoice_report_cache_id=None,
                    invoice_report_format=None, create_date=now,
                    write_date=None, write_uid=None))
            counts['invoices'] += 1
        if invoice_state in INVOICED:
            made.revenue[employee, date] += total
            made.profit[employee, date] += profit
        if state in SALE_STATES:
            key = (date, sale_id, employee)
            if customer not in made.first or key < made.first[customer]:
                made.first[customer] = key
        counts['sales'] += 1
        counts['lines'] += count
        if date.year == year:
            counts['year lines'] += count
        if len(batch['sale.line']) >= 50_000:
            flush()
    flush()

    # the revisits of the scored year: 1 to 6 a month per salesperson
    revisit_columns = ['id', 'party', 'company', 'employee', 'planned_date',
        'date', 'method', 'satisfaction', 'state', 'done_at',
        'create_uid', 'create_date']
    cursor.execute(*revisit_t.select(revisit_t.id,
            order_by=[revisit_t.id.desc], limit=1))
    revisit_id = ((cursor.fetchone() or [0])[0]) + 1
    by_owner = defaultdict(list)
    for n, owner in enumerate(owners):
        by_owner[owner].append(n)
    rows = []
    for employee in salespeople:
        mean = rng.uniform(2.8, 4.9)
        for month in range(1, 13):
            first = dt.date(year, month, 1)
            days = ((first + dt.timedelta(days=32)).replace(day=1)
                - first).days
            for _ in range(rng.randint(1, 6)):
                customer = rng.choice(by_owner[employee])
                date = first + dt.timedelta(days=rng.randrange(days))
                satisfaction = min(max(round(rng.gauss(mean, 0.8)), 1), 5)
                rows.append([revisit_id, next_party + customer,
                        ids['company'], employee, date, date, 'visit',
                        satisfaction, 'done',
                        dt.datetime.combine(date, dt.time(12)),
                        0, now])
                revisit_id += 1
                made.ratings[employee, date][0] += satisfaction
                made.ratings[employee, date][1] += 1
    insert_rows(revisit_t, revisit_columns, rows)
    counts['revisits'] = len(rows)
    counts['customers'] = customers
    return counts


def make_setup(ids, year, history):
    """Make through the ORM the schemes and the periods of year; return the
    ids of the 12 monthly periods and of the yearly one"""
    from trytond.pool import Pool
    pool = Pool()
    Kpi = pool.get('sale.kpi')
    Scheme = pool.get('sale.kpi.scheme')
    Period = pool.get('sale.kpi.period')
    Company = pool.get('company.company')
    kpis = {k.code: k.id for k in Kpi.search([])}
    schemes = dict(SCHEMES)
    if not history:
        schemes['salesperson'] = SCHEME_NO_HISTORY
    Scheme.create([{
                'company': ids['company'],
                'role': role,
                'start_date': dt.date(year - 1, 1, 1),
                'lines': [('create', [{
                                'kpi': kpis[code],
                                'weight': Decimal(weight),
                                } for code, weight in weights.items()])],
                } for role, weights in schemes.items()])
    periods = Period.create_year(Company(ids['company']), year)
    months = sorted((p for p in periods if p.type == 'month'),
        key=lambda p: p.start_date)
    year_period, = [p for p in periods if p.type == 'year']
    return [p.id for p in months], year_period.id


def make_targets(rng, ids, periods, made, last_year, history):
    """Insert by SQL the targets of periods: per salesperson 80-125 % of
    the figure made for the additive KPIs, the teams' and the department's
    their sums, the rates for the department; return their number"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Kpi = pool.get('sale.kpi')
    Period = pool.get('sale.kpi.period')
    Target = pool.get('sale.kpi.target')
    table = Target.__table__()
    kpis = {k.code: k.id for k in Kpi.search([])}
    team_of = {e: t for t, members in ids['teams'].items() for e in members}
    rows = []
    user, now = Transaction().user, dt.datetime.now()

    def row(period, code, scope, team, employee, value):
        rows.append([period, kpis[code], scope, team, employee, value,
                user, now])
    for period in Period.browse(periods):
        figures = made.figures(ids['salespeople'], period.start_date,
            period.end_date, last_year)
        for code in ADDITIVE:
            teams = defaultdict(Decimal)
            for employee, values in figures.items():
                actual = Decimal(values[code][0])
                if code == 'NEW':
                    value = Decimal(max(1, round(
                                float(actual) * rng.uniform(0.8, 1.25))))
                else:
                    value = max((actual * Decimal(rng.uniform(0.8, 1.25))
                            ).quantize(CENT), Decimal(100))
                team = team_of[employee]
                row(period.id, code, 'employee', team, employee, value)
                teams[team] += value
            for team, value in teams.items():
                row(period.id, code, 'team', team, None, value)
            row(period.id, code, 'company', None, None,
                sum(teams.values(), Decimal(0)))
        for code, value in RATE_TARGETS.items():
            if code == 'GROWTH' and not history:
                continue
            row(period.id, code, 'company', None, None, value)
    insert_rows(table, ['period', 'kpi', 'scope', 'team', 'employee',
            'value', 'create_uid', 'create_date'], rows)
    return len(rows)


class _RecordingCursor:
    "A cursor that records the statements executed"

    def __init__(self, cursor, log):
        self._cursor = cursor
        self._log = log

    def execute(self, query, params=None, *args, **kwargs):
        self._log.append((query, params))
        if params is None:
            self._cursor.execute(query, *args, **kwargs)
        else:
            self._cursor.execute(query, params, *args, **kwargs)
        return self

    def __iter__(self):
        return iter(self._cursor)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass

    def __getattr__(self, name):
        return getattr(self._cursor, name)


class _RecordingConnection:
    "The transaction's connection, its cursors recording"

    def __init__(self, connection, log):
        self._connection = connection
        self._log = log

    def cursor(self, *args, **kwargs):
        return _RecordingCursor(
            self._connection.cursor(*args, **kwargs), self._log)

    def __getattr__(self, name):
        return getattr(self._connection, name)


def measure_args(period_ids):
    "The KPIs of the schemes, the company and the dates of each period"
    from trytond.pool import Pool
    pool = Pool()
    Period = pool.get('sale.kpi.period')
    Scheme = pool.get('sale.kpi.scheme')
    result = []
    for period in Period.browse(period_ids):
        schemes = Scheme.of(period.company, period.start_date)
        kpis = {l.kpi for s in schemes.values() for l in s.lines}
        # read beforehand: only the aggregates are captured
        for kpi in kpis:
            kpi.computation
        result.append((kpis, period.company, period.start_date,
                period.end_date))
    return result


def capture_measure(period_ids):
    """The statements (query, parameters) that Kpi.measure executes for
    each period, recorded while it runs"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Kpi = Pool().get('sale.kpi')
    transaction = Transaction()
    statements = []
    for kpis, company, start, end in measure_args(period_ids):
        log = []
        connection = transaction.connection
        transaction.connection = _RecordingConnection(connection, log)
        try:
            Kpi.measure(kpis, company, start, end)
        finally:
            transaction.connection = connection
        statements.append(log)
    return statements


def run_statements(statements):
    "Execute and fetch the statements; return the number of rows"
    from trytond.transaction import Transaction
    cursor = Transaction().connection.cursor()
    rows = 0
    for log in statements:
        for query, params in log:
            if params is None:
                cursor.execute(query)
            else:
                cursor.execute(query, params)
            rows += len(cursor.fetchall())
    return rows


def run_measure(arguments):
    from trytond.pool import Pool
    Kpi = Pool().get('sale.kpi')
    return [Kpi.measure(*a) for a in arguments]


def stored_figures(period_ids, scope='employee'):
    """{(period, employee): {kpi code: (numerator, denominator)}} of the
    stored scorecards"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Scorecard = pool.get('sale.kpi.scorecard')
    Line = pool.get('sale.kpi.scorecard.line')
    Kpi = pool.get('sale.kpi')
    codes = {k.id: k.code for k in Kpi.search([])}
    card, line = Scorecard.__table__(), Line.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*card.join(line, condition=line.scorecard == card.id
            ).select(card.period, card.employee, line.kpi, line.numerator,
            line.denominator,
            where=card.period.in_(period_ids) & (card.scope == scope)))
    result = defaultdict(dict)
    for period, employee, kpi, numerator, denominator in cursor:
        result[period, employee][codes[kpi]] = (
            Decimal(str(numerator)).quantize(CENT),
            Decimal(str(denominator)).quantize(CENT))
    return result


def scorecard_counts(period_ids):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Scorecard = pool.get('sale.kpi.scorecard')
    Line = pool.get('sale.kpi.scorecard.line')
    card, line = Scorecard.__table__(), Line.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*card.select(card.id, where=card.period.in_(period_ids)))
    cards = [i for i, in cursor]
    cursor.execute(*line.join(card, condition=line.scorecard == card.id
            ).select(line.id, where=card.period.in_(period_ids)))
    return len(cards), len(cursor.fetchall())


def band_counts(period_ids):
    from trytond.pool import Pool
    pool = Pool()
    Scorecard = pool.get('sale.kpi.scorecard')
    return Counter(s.band.name if s.band else None for s in Scorecard.search([
                ('period', 'in', period_ids), ('scope', '=', 'employee')]))


def rounded(pair):
    return tuple(Decimal(str(v)).quantize(CENT) for v in pair)


def differences(expected, got):
    "The keys whose figures differ, with both"
    wrong = []
    for key in sorted(expected.keys() | got.keys()):
        want, have = expected.get(key, {}), got.get(key, {})
        for code in sorted(have):
            # the module gives no basis to an additive figure it did not
            # find: compare the numerator only
            size = 1 if code in ADDITIVE else 2
            expected_ = rounded(want.get(code, (0, 0)))
            if expected_[:size] != have[code][:size]:
                wrong.append((key, code, expected_, have[code]))
    return wrong


def person_figures(employee_id, company_id, start, end, last_year):
    """The figures of one salesperson between start and end searched and
    summed through the ORM"""
    from trytond.pool import Pool
    pool = Pool()
    InvoiceLine = pool.get('account.invoice.line')
    Sale = pool.get('sale.sale')
    Revisit = pool.get('sale.customer.revisit')
    Complaint = pool.get('sale.complaint')

    def invoiced(start, end):
        lines = InvoiceLine.search([
                ('invoice.company', '=', company_id),
                ('invoice.type', '=', 'out'),
                ('invoice.state', 'in', INVOICED),
                ('invoice.invoice_date', '>=', start),
                ('invoice.invoice_date', '<=', end),
                ('type', '=', 'line'),
                ('origin.sale.employee', '=', employee_id, 'sale.line'),
                ])
        revenue = profit = Decimal(0)
        for line in lines:
            quantity = Decimal(str(line.quantity))
            amount = quantity * line.unit_price
            revenue += amount
            cost = line.product.cost_price if line.product else None
            profit += amount - quantity * (cost or 0)
        return revenue, profit

    revenue, profit = invoiced(start, end)
    before, _ = invoiced(last_year(start), last_year(end))

    sales = Sale.search([
            ('employee', '=', employee_id),
            ('company', '=', company_id),
            ('state', 'in', SALE_STATES),
            ('sale_date', '>=', start),
            ('sale_date', '<=', end),
            ])
    new = 0
    for party in {s.party for s in sales}:
        first, = Sale.search([
                ('party', '=', party.id),
                ('company', '=', company_id),
                ('state', 'in', SALE_STATES),
                ], order=[('sale_date', 'ASC'), ('id', 'ASC')], limit=1)
        if first.employee and first.employee.id == employee_id \
                and start <= first.sale_date <= end:
            new += 1

    ratings = [Decimal(0), Decimal(0)]
    for revisit in Revisit.search([
                ('employee', '=', employee_id),
                ('company', '=', company_id),
                ('state', '=', 'done'),
                ('satisfaction', '!=', None),
                ('date', '>=', start),
                ('date', '<=', end),
                ]):
        ratings[0] += revisit.satisfaction
        ratings[1] += 1
    for complaint in Complaint.search([
                ('company', '=', company_id),
                ('customer_satisfaction', '!=', None),
                ('resolved_at', '>=', dt.datetime.combine(start, dt.time.min)),
                ('resolved_at', '<=', dt.datetime.combine(end, dt.time.max)),
                ]):
        origin = complaint.origin
        who = None
        if origin and origin.__name__ == 'sale.line':
            who = origin.sale.employee
        elif origin and origin.__name__ == 'sale.sale':
            who = origin.employee
        who = who or complaint.owner
        if who and who.id == employee_id:
            ratings[0] += complaint.customer_satisfaction
            ratings[1] += 1
    return {
        'REV': (revenue, 1),
        'GP': (profit, 1),
        'GROWTH': (revenue - before, before),
        'NEW': (new, 1),
        'CSAT': tuple(ratings),
        }


def person_loop(sample, period_ids, company_id, team_of, last_year):
    """Per period and salesperson of sample: the figures through the ORM,
    the targets searched, the score in Python and the scorecard created
    through the ORM; return the figures"""
    from trytond.pool import Pool
    pool = Pool()
    Band = pool.get('sale.kpi.band')
    Configuration = pool.get('sale.configuration')
    Employee = pool.get('company.employee')
    Kpi = pool.get('sale.kpi')
    Period = pool.get('sale.kpi.period')
    Scheme = pool.get('sale.kpi.scheme')
    Scorecard = pool.get('sale.kpi.scorecard')
    Target = pool.get('sale.kpi.target')
    cap = Configuration(1).kpi_achievement_cap or Decimal(150)
    bands = Band.search([])
    result = {}
    for period in Period.browse(period_ids):
        schemes = Scheme.of(period.company, period.start_date)
        department = {t.kpi.id: t.value for t in Target.search([
                    ('period', '=', period.id), ('scope', '=', 'company')])}
        for employee in Employee.browse(sample):
            role = employee.sales_role or 'salesperson'
            scheme = schemes.get(role)
            figures = person_figures(employee.id, company_id,
                period.start_date, period.end_date, last_year)
            result[period.id, employee.id] = {
                l.kpi.code: figures[l.kpi.code] for l in scheme.lines}
            team = team_of.get(employee.id)
            own = {t.kpi.id: t.value for t in Target.search([
                        ('period', '=', period.id),
                        ('scope', '=', 'employee'),
                        ('employee', '=', employee.id),
                        ])}
            teams = {t.kpi.id: t.value for t in Target.search([
                        ('period', '=', period.id),
                        ('scope', '=', 'team'),
                        ('team', '=', team),
                        ])} if team else {}
            lines, total, counted = [], Decimal(0), Decimal(0)
            for scheme_line in scheme.lines:
                kpi = scheme_line.kpi
                numerator, denominator = figures[kpi.code]
                actual = Kpi.value(kpi.computation, numerator, denominator)
                target = own.get(kpi.id)
                if target is None and not kpi.additive:
                    target = teams.get(kpi.id, department.get(kpi.id))
                achievement = score = None
                if actual is not None and target:
                    achievement = min(max(actual / target * 100,
                            Decimal(0)), cap).quantize(CENT)
                    score = (achievement * scheme_line.weight / 100
                        ).quantize(CENT)
                    total += score
                    counted += scheme_line.weight
                lines.append({
                        'kpi': kpi.id,
                        'weight': scheme_line.weight,
                        'numerator': Decimal(numerator).quantize(CENT),
                        'denominator': Decimal(denominator).quantize(CENT),
                        'actual': actual,
                        'target': target,
                        'achievement': achievement,
                        'score': score,
                        })
            if counted and counted != 100:
                total = (total * 100 / counted).quantize(CENT)
            band = Band.of_score(bands, total)
            Scorecard.create([{
                        'company': company_id,
                        'period': period.id,
                        'scope': 'employee',
                        'employee': employee.id,
                        'team': team,
                        'role': role,
                        'total_score': total,
                        'band': band.id if band else None,
                        'lines': [('create', lines)],
                        }])
    return result


def breakdown(period_ids):
    """Compute the periods with a timer around the main steps of
    Scorecard.compute; return {step: seconds} and the total"""
    from trytond.pool import Pool
    pool = Pool()
    Period = pool.get('sale.kpi.period')
    spots = [
        (pool.get('sale.kpi.objection'), 'search', "Objection.search"),
        (pool.get('sale.kpi.scorecard'), 'clear', "Scorecard.clear"),
        (pool.get('sale.kpi'), 'measure', "Kpi.measure"),
        (pool.get('sale.team.member'), 'teams_of', "Member.teams_of"),
        (pool.get('sale.kpi.target'), 'search', "Target.search"),
        (pool.get('sale.kpi.scorecard'), '_insert', "Scorecard._insert"),
        ]
    times = defaultdict(float)
    saved = []
    for Model, name, label in spots:
        saved.append((Model, name, Model.__dict__.get(name)))

        def timed(cls, *args, _original=getattr(Model, name),
                _label=label, **kwargs):
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                times[_label] += time.perf_counter() - start
        setattr(Model, name, classmethod(timed))
    try:
        start = time.perf_counter()
        Period.compute(Period.browse(period_ids))
        total = time.perf_counter() - start
    finally:
        for Model, name, original in reversed(saved):
            if original is None:
                delattr(Model, name)
            else:
                setattr(Model, name, original)
    return times, total


def main(argv=None):
    args = parse_args(argv)
    with throwaway_database('sales_ops_incentive', 'bench_scorecards',
            args.sqlite, 'bench-scorecards-', test_pool=False) as db_name:
        from sales_ops_incentive.kpi import _last_year

        from trytond.pool import Pool
        from trytond.transaction import Transaction

        failures = []
        figures = {}
        year = dt.date.today().year - 1
        history = not args.no_history
        ids, duration = timed_retried(make_templates, args, year)
        print(f"{len(ids['salespeople'])} salespeople in "
            f"{len(ids['teams'])} teams and {len(ids['sales'])} "
            f"template orders made through the ORM: {duration:.0f} s",
            flush=True)
        team_of = {e: t for t, members in ids['teams'].items()
            for e in members}
        rng = random.Random(2026)
        made = Made()
        with Transaction().start(db_name, 1, context={
                    'company': ids['company'],
                    '_skip_warnings': True}) as transaction:
            start = time.perf_counter()
            counts = copy_data(rng, args, ids, year, made)
            transaction.commit()
            print(f"{counts['customers']} customers, {counts['sales']} "
                f"orders, {counts['lines']} lines "
                f"({counts['year lines']} in {year}), "
                f"{counts['invoices']} invoices, "
                f"{counts['invoice lines']} invoice lines, "
                f"{counts['revisits']} "
                f"revisits copied by SQL: "
                f"{time.perf_counter() - start:.0f} s", flush=True)
            start = time.perf_counter()
            months, year_period = make_setup(ids, year, history)
            periods = months + [year_period]
            targets = make_targets(
                rng, ids, periods, made, _last_year, history)
            transaction.commit()
            Period = Pool().get('sale.kpi.period')
            opening = time.perf_counter()
            Period.open(Period.browse(periods))
            opening = time.perf_counter() - opening
            transaction.commit()
            analyze()
            transaction.commit()
            print(f"{targets} targets inserted by SQL, the 12 months "
                f"and the year opened (Period.open {opening:.2f} s), "
                f"ANALYZE: {time.perf_counter() - start:.0f} s",
                flush=True)

            # (1) Period.compute of the 12 months, then of the year
            for name, ids_ in [('months', months),
                    ('year', [year_period])]:
                durations, commits = [], []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    Period.compute(Period.browse(ids_))
                    durations.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    transaction.commit()
                    commits.append(time.perf_counter() - start)
                figures[f'compute {name}'] = statistics.median(durations)
                cards, lines = scorecard_counts(ids_)
                print(f"compute, {name:6}:  "
                    f"{figures[f'compute {name}']:8.3f} s (median of "
                    f"{args.repeat}, first {durations[0]:.3f} s; "
                    f"commit {statistics.median(commits):.2f} s); "
                    f"{cards} scorecards, {lines} lines", flush=True)

            # (2) the statements of Kpi.measure, bare; Kpi.measure
            for name, ids_ in [('months', months),
                    ('year', [year_period])]:
                statements = capture_measure(ids_)
                if args.show_sql and name == 'months':
                    for query, params in statements[0]:
                        print(f"{query}\n    {params}")
                print(f"statements per period: "
                    f"{[len(s) for s in statements]}")
                bare, rows = median_time(
                    lambda: run_statements(statements), args.repeat)
                figures[f'bare {name}'] = bare
                print(f"bare SQL, {name:6}: {bare:8.3f} s "
                    f"({sum(map(len, statements))} statements, {rows} "
                    f"rows fetched)", flush=True)
                arguments = measure_args(ids_)
                measure, _ = median_time(
                    lambda: run_measure(arguments), args.repeat)
                figures[f'measure {name}'] = measure
                print(f"Kpi.measure, {name:6}: {measure:8.3f} s",
                    flush=True)
            transaction.rollback()

            # the scorecards hold the figures the copy made
            expected = {}
            for period in Period.browse(periods):
                for employee, values in made.figures(
                        ids['salespeople'], period.start_date,
                        period.end_date, _last_year).items():
                    expected[period.id, employee] = values
            stored = stored_figures(periods)
            wrong = differences(expected, stored)
            if len(stored) != len(periods) * len(ids['salespeople']):
                failures.append(f"{len(stored)} salesperson scorecards "
                    f"instead of {len(periods) * len(ids['salespeople'])}")
            if wrong:
                failures.append(f"{len(wrong)} figures of the scorecards "
                    f"differ from what the copy made, e.g. {wrong[0]}")
            bands = band_counts(months)
            print("bands of the monthly salesperson scorecards: "
                + ', '.join(f"{b}: {c}" for b, c in bands.most_common()),
                flush=True)

            # (3) the per-person ORM loop on a sample
            sample = sorted(rng.sample(ids['salespeople'],
                    min(args.sample, len(ids['salespeople']))))
            start = time.perf_counter()
            looped = person_loop(
                sample, months, ids['company'], team_of, _last_year)
            loop_sample = time.perf_counter() - start
            transaction.rollback()
            loop = loop_sample * len(ids['salespeople']) / len(sample)
            figures['loop'] = loop
            print(f"per-person loop:   {loop_sample:8.3f} s for "
                f"{len(sample)} salespeople x 12 months, {loop:.0f} s "
                f"extrapolated linearly to {len(ids['salespeople'])}",
                flush=True)
            wrong = differences(
                looped, {k: v for k, v in stored.items() if k in looped})
            if wrong:
                failures.append(f"{len(wrong)} figures of the loop "
                    f"differ from Period.compute, e.g. {wrong[0]}")

            if args.profile:
                times, total = breakdown(months)
                transaction.commit()
                print(f"compute of the 12 months, {total:.3f} s, "
                    f"timed by step:")
                for label, seconds in times.items():
                    print(f"    {label:20} {seconds:8.3f} s")
                print(f"    {'the rest':20} "
                    f"{total - sum(times.values()):8.3f} s (targets "
                    f"read, scores, ranks, bands)", flush=True)
                _, profiled, profile = run_profiled(
                    Period.compute, Period.browse(months))
                transaction.commit()
                print(f"profiled compute of the 12 months: "
                    f"{profiled:.3f} s")
                print(profile_report(profile, 45))

    for name in ['months', 'year']:
        print(f"compute / bare SQL, {name}: "
            f"{figures[f'compute {name}'] / figures[f'bare {name}']:.2f}x "
            f"(goal <= 4x); Kpi.measure / bare SQL "
            f"{figures[f'measure {name}'] / figures[f'bare {name}']:.2f}x")
    print(f"loop (extrapolated) / compute of the 12 months: "
        f"{figures['loop'] / figures['compute months']:.0f}x")
    return conclude(failures, "the scorecards hold the figures made; the "
        "loop and Period.compute agree on the sample")


if __name__ == '__main__':
    sys.exit(main())
