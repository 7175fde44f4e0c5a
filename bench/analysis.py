#!/usr/bin/env python3
# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sales achievement per salesperson (P5.2.1) on many order lines: one read
of a page of rows, as the web client does after its search, against the
bare SQL aggregate.

Builds a throwaway database (a new PostgreSQL database, dropped at the end,
or SQLite in a temporary directory with --sqlite) and makes through the ORM a
company with its chart, --teams teams (default 50) of --salespeople
salespeople (default 500), two products (cost 600 and 200) and 7 template
orders of 1 to 7 lines, confirmed and processed.  It then copies with SQL
(COPY on PostgreSQL) --customers customers (default 40 per salesperson, each
with one salesperson) and their orders and lines until --lines order lines
(default 1,000,000) are dated in the two years before this one; 97 % of the
orders are confirmed, processing or done, the others draft or cancelled.
ANALYZE is run.

As the administrator with the access checked (record rules included) and the
analysis context of the two years per month, it times with the median of
--repeat runs, each in a transaction of its own: the search of the first
page (--page rows, default 80, in the default order), the read of those
rows with the fields of the list view (the sparklines read the time series
too), and search_read; for sale.analysis.achievement.employee and for its
time series (whose list shows the changes on the previous month and last
year).  The bare SQL aggregate is the same figures (revenue, volume, cost,
orders) by a GROUP BY of the confirmed lines joined to their orders, for
all the salespeople and for the page's, and per salesperson and month.
On PostgreSQL it prints the EXPLAIN (ANALYZE, BUFFERS) of the query that
read runs (the table query filtered by the page's ids).  It checks that the
rows read hold the figures of the bare aggregate.  --profile profiles one
more read of the salespeople with cProfile.  --keep NAME builds the data in
the PostgreSQL database NAME and keeps it; a later run with the same --keep
reuses it and skips the build (drop it with `dropdb NAME`).

Run by hand, with assertions off (see TRYTON-NOTES, "quadratic trap"):

    PYTHONOPTIMIZE=1 .venv/bin/python bench/analysis.py --lines 20000 \\
        --salespeople 50 --teams 5
    PYTHONOPTIMIZE=1 .venv/bin/python bench/analysis.py          # 1,000,000
    PYTHONOPTIMIZE=1 .venv/bin/python bench/analysis.py --sqlite \\
        --lines 2000 --salespeople 20 --teams 4
    PYTHONOPTIMIZE=1 .venv/bin/python bench/analysis.py --keep bench_kept
    PYTHONOPTIMIZE=1 .venv/bin/python bench/analysis.py --keep bench_kept \\
        --profile                           # the same data again

The figures measured are in bench/README.md.
"""
import argparse
import datetime as dt
import math
import random
import sys
import time
from collections import defaultdict
from decimal import Decimal

from common import (
    accumulate, add_keep_option, add_repeat_option, add_sqlite_option,
    analyze, conclude,
    insert_rows, make_accounting, make_services, make_template_orders,
    median_time, profile_report, run_profiled, template_rows,
    throwaway_database, timed_retried)

TEMPLATE_LINES = range(1, 8)    # lines of the template orders: 4 on average
PRODUCTS = [("Pump", 600), ("Commissioning", 200)]  # name, cost; sold 1,000
SALE_STATES = ['confirmed', 'processing', 'done']
EMPLOYEE = 'sale.analysis.achievement.employee'
TIMESERIES = 'sale.analysis.achievement.employee.time_series'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--salespeople', type=int, default=500,
        help="number of salespeople (default: %(default)s)")
    parser.add_argument('--teams', type=int, default=50,
        help="number of teams (default: %(default)s)")
    parser.add_argument('--lines', type=int, default=1_000_000,
        help="order lines in the two years (default: %(default)s)")
    parser.add_argument('--customers', type=int, default=None,
        help="number of customers (default: 40 per salesperson)")
    parser.add_argument('--page', type=int, default=80,
        help="rows read, as a page of the web client (default: "
        "%(default)s)")
    add_repeat_option(parser)
    add_sqlite_option(parser)
    add_keep_option(parser)
    parser.add_argument('--profile', action='store_true',
        help="profile one more read of the salespeople with cProfile")
    return parser.parse_args(argv)


def make_templates(args, year):
    """Make through the ORM the company, its chart, the people and teams,
    the products, a customer and one order per number of lines in
    TEMPLATE_LINES, confirmed; return the ids needed to copy"""
    from trytond.modules.company.tests import (
        create_company, create_employee, set_company)
    from trytond.pool import Pool

    pool = Pool()
    Team = pool.get('sale.team')

    company = create_company()
    with set_company(company):
        date = dt.date(year, 6, 15)
        term, _, _ = make_accounting(company, [date])
        salespeople = [create_employee(company, f"Salesperson {i}")
            for i in range(args.salespeople)]
        teams = Team.create([{
                    'name': f"Team {t}",
                    'company': company.id,
                    'start_date': dt.date(year - 2, 1, 1),
                    'members': [('create', [{
                                    'employee': s.id,
                                    'start_date': dt.date(year - 2, 1, 1),
                                    } for s in salespeople[t::args.teams]])],
                    } for t in range(args.teams)])
        unit, products = make_services(company, "Goods", PRODUCTS)
        customer, sales = make_template_orders(
            company, TEMPLATE_LINES, products, unit, Decimal(1000),
            employee=salespeople[0], payment_term=term, sale_date=date,
            invoice_method='manual')
    return {
        'company': company.id,
        'salespeople': [s.id for s in salespeople],
        'teams': [t.id for t in teams],
        'customer': customer.id,
        'sales': [s.id for s in sales],
        'costs': {p.id: Decimal(c) for p, (_, c) in zip(products, PRODUCTS)},
        }


def copy_data(rng, args, ids, start, end):
    """Copy with SQL the customers, orders and lines until args.lines lines
    are dated between start and end; return the counts"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool()
    Party = pool.get('party.party')
    Sale = pool.get('sale.sale')
    Line = pool.get('sale.line')
    party_t, sale_t, line_t = (
        Party.__table__(), Sale.__table__(), Line.__table__())
    cursor = Transaction().connection.cursor()
    now = dt.datetime.now()

    parties, party_columns, next_party = template_rows(
        party_t, [ids['customer']])
    sales, sale_columns, next_sale = template_rows(sale_t, ids['sales'])
    cursor.execute(*line_t.select(line_t.id, line_t.sale,
            where=line_t.sale.in_(ids['sales'])))
    line_ids = defaultdict(list)
    for id_, sale in cursor:
        line_ids[sale].append(id_)
    lines, line_columns, next_line = template_rows(
        line_t, [i for l in line_ids.values() for i in l])
    by_count = {len(line_ids[s]): s for s in ids['sales']}

    salespeople = ids['salespeople']
    level = {e: rng.lognormvariate(0, 0.35) for e in salespeople}
    customers = args.customers or 40 * len(salespeople)
    owners, weights, scales, rows = [], [], [], []
    for n in range(customers):
        owners.append(salespeople[n % len(salespeople)])
        weights.append(rng.lognormvariate(0, 0.8))
        scales.append(rng.lognormvariate(math.log(6000), 0.9)
            * level[owners[-1]])
        row = dict(parties[ids['customer']])
        row.update(id=next_party + n, name=f"Customer {n}",
            code=f"BA{next_party + n}", create_date=now, write_date=None,
            write_uid=None, customer_tier=None, last_reviewed=None,
            owner=owners[-1])
        rows.append([row[c] for c in party_columns])
    insert_rows(party_t, party_columns, rows)
    cum_weights = list(accumulate(weights))

    states = ['processing'] * 60 + ['done'] * 30 + ['confirmed'] * 7 \
        + ['cancelled'] * 2 + ['draft']
    span = (end - start).days + 1
    counts = defaultdict(int)
    sale_rows, line_rows = [], []
    sale_id, line_id = next_sale, next_line
    while counts['lines'] < args.lines:
        customer = rng.choices(range(customers), cum_weights=cum_weights)[0]
        count = rng.choice(TEMPLATE_LINES)
        template = sales[by_count[count]]
        target = scales[customer] * rng.lognormvariate(0, 0.5)
        total = Decimal(0)
        for old in line_ids[template['id']]:
            quantity = rng.randint(1, 10)
            price = max(Decimal(target / count / quantity
                    * rng.uniform(0.5, 1.5)).quantize(Decimal('0.01')),
                Decimal('0.01'))
            row = dict(lines[old])
            row.update(id=line_id, sale=sale_id, quantity=quantity,
                actual_quantity=quantity, unit_price=price, create_date=now,
                write_date=None, write_uid=None)
            if 'base_price' in row:
                row['base_price'] = price
            line_rows.append([row[c] for c in line_columns])
            total += price * quantity
            line_id += 1
        state = rng.choice(states)
        row = dict(template)
        row.update(id=sale_id, number=f"BA{sale_id}", reference=None,
            party=next_party + customer, employee=owners[customer],
            sale_date=start + dt.timedelta(days=rng.randrange(span)),
            state=state, create_date=now, write_date=None, write_uid=None,
            untaxed_amount_cache=None if state == 'draft' else total,
            tax_amount_cache=None if state == 'draft' else Decimal(0),
            total_amount_cache=None if state == 'draft' else total)
        sale_rows.append([row[c] for c in sale_columns])
        sale_id += 1
        counts['sales'] += 1
        counts['lines'] += count
        if len(line_rows) >= 50_000:
            insert_rows(sale_t, sale_columns, sale_rows)
            insert_rows(line_t, line_columns, line_rows)
            sale_rows, line_rows = [], []
    insert_rows(sale_t, sale_columns, sale_rows)
    insert_rows(line_t, line_columns, line_rows)
    counts['customers'] = customers
    return counts


def built_data():
    """The company and the counts of the data of an earlier run kept in the
    database, or None when it holds none"""
    from sql.aggregate import Count

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    company = pool.get('company.company').__table__()
    sale = pool.get('sale.sale').__table__()
    line = pool.get('sale.line').__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*company.select(company.id, order_by=[company.id]))
    row = cursor.fetchone()
    if row is None:
        return None
    counts = {}
    for key, table in [('sales', sale), ('lines', line)]:
        cursor.execute(*table.select(Count(table.id)))
        counts[key], = cursor.fetchone()
    return {'company': row[0]}, counts


def list_fields(Model):
    "The fields the web client reads for the model's list view"
    view = Model.fields_view_get(view_type='tree')
    names = list(view['fields'])
    key = 'employee'
    return names + [f'{key}.rec_name']


def bare_aggregate(company_id, start, end, employees=None, monthly=False):
    """The figures of the analysis by a raw GROUP BY of the confirmed lines
    joined to their orders, per salesperson (and month); fetched"""
    from sql.aggregate import Count, Sum
    from sql.conditionals import Coalesce
    from sql.functions import DateTrunc

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    sale = pool.get('sale.sale').__table__()
    line = pool.get('sale.line').__table__()
    cost = pool.get('product.cost_price').__table__()
    cursor = Transaction().connection.cursor()
    quantity = Coalesce(line.actual_quantity, line.quantity)
    where = (sale.state.in_(SALE_STATES) & (sale.company == company_id)
        & (sale.sale_date >= start) & (sale.sale_date <= end))
    if employees is not None:
        where &= sale.employee.in_(employees)
    group_by = [sale.employee]
    if monthly:
        group_by.append(DateTrunc('month', sale.sale_date).as_('month'))
    cursor.execute(*line
        .join(sale, condition=line.sale == sale.id)
        .join(cost, 'LEFT', condition=(cost.product == line.product)
            & (cost.company == sale.company))
        .select(*group_by,
            Sum(quantity * line.unit_price), Sum(quantity),
            Sum(quantity * Coalesce(cost.cost_price, 0)),
            Count(sale.id, distinct=True),
            where=where, group_by=group_by))
    return cursor.fetchall()


def explain(Model, ids):
    """The plan of the query that read runs: the table query filtered by
    the ids"""
    from trytond.transaction import Transaction
    table = Model.__table__()
    columns = [table.id, table.revenue, table.gross_profit]
    if 'trend_points' in Model._fields:
        # the periods of the sparklines, read with the totals
        columns.append(table.trend_points)
    query = table.select(*columns, where=table.id.in_(ids))
    cursor = Transaction().connection.cursor()
    sql, params = tuple(query)
    cursor.execute('EXPLAIN (ANALYZE, BUFFERS) ' + sql, params)
    return '\n'.join(r for r, in cursor)


def main(argv=None):
    args = parse_args(argv)
    with throwaway_database('sales_ops_policy', 'bench_analysis',
            args.sqlite, 'bench-analysis-', test_pool=False,
            keep=args.keep) as db_name:
        from trytond import backend
        from trytond.pool import Pool
        from trytond.transaction import Transaction, check_access

        failures = []
        figures = {}
        year = dt.date.today().year - 1
        start, end = dt.date(year - 1, 1, 1), dt.date(year, 12, 31)
        with Transaction().start(db_name, 0):
            built = built_data()
        if built:
            ids, counts = built
            print(f"Reusing the data kept in {db_name!r}: "
                f"{counts['sales']} orders, {counts['lines']} lines",
                flush=True)
        else:
            ids, duration = timed_retried(make_templates, args, year)
            print(f"{len(ids['salespeople'])} salespeople in "
                f"{len(ids['teams'])} teams and {len(ids['sales'])} "
                f"template orders made through the ORM: {duration:.0f} s",
                flush=True)
        rng = random.Random(2026)
        with Transaction().start(db_name, 0, context={
                    'company': ids['company']}) as transaction:
            if not built:
                begin = time.perf_counter()
                counts = copy_data(rng, args, ids, start, end)
                transaction.commit()
                analyze()
                transaction.commit()
                print(f"{counts['customers']} customers, {counts['sales']} "
                    f"orders, {counts['lines']} lines from {start} to {end} "
                    f"copied by SQL, ANALYZE: "
                    f"{time.perf_counter() - begin:.0f} s", flush=True)

            bare, rows = median_time(lambda: bare_aggregate(
                    ids['company'], start, end), args.repeat)
            figures['bare'] = bare
            print(f"bare SQL aggregate, all salespeople: {bare:.3f} s "
                f"({len(rows)} rows)", flush=True)
            expected = {e: (_round(r), q, _round(r - c), n)
                for e, r, q, c, n in rows}
            bare_ts, rows = median_time(lambda: bare_aggregate(
                    ids['company'], start, end, monthly=True), args.repeat)
            figures['bare ts'] = bare_ts
            print(f"bare SQL aggregate per month: {bare_ts:.3f} s "
                f"({len(rows)} rows)", flush=True)
            transaction.rollback()

        context = {
            'company': ids['company'], 'from_date': start, 'to_date': end,
            'period': 'month',
            }

        def timed(model, call):
            "call(Model) as the administrator with the access checked"
            def run():
                with Transaction().start(db_name, 1, context=context,
                        readonly=True), check_access():
                    return call(Pool().get(model))
            return median_time(run, args.repeat)

        for model in [EMPLOYEE, TIMESERIES]:
            with Transaction().start(db_name, 1, context=context,
                    readonly=True):
                Model = Pool().get(model)
                names = list_fields(Model)
                order = Model._order
            search, page = timed(model,
                lambda M: [r.id for r in M.search([], limit=args.page)])
            read, rows = timed(model, lambda M: M.read(page, names))
            search_read, _ = timed(model,
                lambda M: M.search_read([], limit=args.page,
                    fields_names=names))
            label = 'salesperson' if model == EMPLOYEE else 'time series'
            figures[f'read {label}'] = read
            print(f"{label}: order {order}, {len(page)} rows, "
                f"{len(names)} fields")
            print(f"    search {search:.3f} s, read {read:.3f} s, "
                f"search_read {search_read:.3f} s", flush=True)
            if model == EMPLOYEE:
                wrong = [r['id'] for r in rows if not _same(
                        (r['revenue'], r['quantity'], r['gross_profit'],
                            r['number']), expected.get(r['id']))]
                if wrong:
                    failures.append(f"{len(wrong)} rows differ from the "
                        f"bare aggregate, e.g. salesperson {wrong[0]}")
                with Transaction().start(db_name, 1, context=context,
                        readonly=True):
                    employees = page
                    bare_page, _ = median_time(lambda: bare_aggregate(
                            ids['company'], start, end, employees),
                        args.repeat)
                figures['bare page'] = bare_page
                print(f"    bare SQL aggregate of the {len(page)} "
                    f"salespeople: {bare_page:.3f} s", flush=True)
                if args.profile:
                    with Transaction().start(db_name, 1, context=context,
                            readonly=True), check_access():
                        _, profiled, profile = run_profiled(
                            Pool().get(model).read, page, names)
                    print(f"    profiled read: {profiled:.3f} s")
                    print(profile_report(profile, 40), flush=True)
            if backend.name == 'postgresql':
                with Transaction().start(db_name, 1, context=context,
                        readonly=True), check_access():
                    print(explain(Pool().get(model), page), flush=True)

    for label, bare in [('salesperson', 'bare'), ('time series', 'bare ts')]:
        read = figures[f'read {label}']
        print(f"read of {args.page} rows, {label}: {read:.3f} s "
            f"(goal < 1 s); / bare aggregate of all: "
            f"{read / figures[bare]:.2f}x")
    print(f"read of the salespeople / bare aggregate of the page's: "
        f"{figures['read salesperson'] / figures['bare page']:.2f}x")
    return conclude(failures, "the rows read hold the bare aggregate's "
        "figures")


def _same(read, bare):
    "Whether the figures read are the bare ones (volume as a float)"
    if bare is None:
        return False
    (revenue, quantity, profit, number), (r, q, p, n) = read, bare
    return ((revenue, profit, number) == (r, p, n)
        and abs(quantity - float(q)) < 1e-6)


def _round(value):
    # SQLite sums numerics as floats
    return Decimal(str(value)).quantize(Decimal('0.01'))


if __name__ == '__main__':
    sys.exit(main())
